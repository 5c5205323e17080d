// Imports the core by package name, then validates the numbers given as a JSON list in the first argument.
// Prints how many libphonenumber-js CommonJS modules were loaded before and after the first number, and
// each number's result: the normalised number, or the error code.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const loaded = () => Object.keys(require.cache).filter((path) => path.includes('/libphonenumber-js/')).length;
const core = await import('verification-call-bridge');
const before = loaded();
const results = JSON.parse(process.argv[2]).map((value) => {
  try {
    return core.parseE164(value, 'phone');
  } catch (error) {
    return error.code;
  }
});
console.log(JSON.stringify({ before, after: loaded(), results }));
