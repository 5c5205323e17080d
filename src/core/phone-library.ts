import { createRequire } from 'node:module';
import type { parsePhoneNumberFromString } from 'libphonenumber-js';

type PhoneParser = typeof parsePhoneNumberFromString;

let parser: PhoneParser | undefined;

/**
 * libphonenumber-js's parser, loaded at the first number parsed rather than when the core is imported:
 * it and its metadata were most of the core's import time and memory. Its CommonJS build is required
 * synchronously, so every validator stays synchronous and the public API does not change.
 */
export function phoneParser(): PhoneParser {
  parser ??= (createRequire(import.meta.url)('libphonenumber-js') as { parsePhoneNumberFromString: PhoneParser }).parsePhoneNumberFromString;
  return parser;
}
