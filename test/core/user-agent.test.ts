import { describe, expect, it } from 'vitest';
import { capabilitiesFromUserAgent } from '../../src/core/user-agent.js';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const ANDROID_CHROME = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const WINDOWS_EDGE = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';
const MAC_SAFARI = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';
const INSTAGRAM_ON_IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.0';

describe('capabilitiesFromUserAgent', () => {
  it.each([
    ['an iPhone in Safari', IPHONE, { platform: 'ios', apps: ['facetime'], browser: true }],
    ['an iPhone in an in-app browser', INSTAGRAM_ON_IPHONE, { platform: 'ios', apps: ['facetime'], browser: true }],
    ['an Android phone (its UA also says Linux)', ANDROID_CHROME, { platform: 'android', apps: [], browser: true }],
    ['Edge on Windows', WINDOWS_EDGE, { platform: 'desktop', apps: [], browser: true }],
    ['Safari on a Mac (or an iPad asking for desktop pages)', MAC_SAFARI, { platform: 'desktop', apps: [], browser: true }],
  ])('reads %s', (_what, userAgent, expected) => {
    expect(capabilitiesFromUserAgent(userAgent)).toEqual(expected);
  });

  it.each([[''], ['curl/8.5.0'], ['Googlebot/2.1 (+http://www.google.com/bot.html)']])('infers nothing from %j', (userAgent) => {
    expect(capabilitiesFromUserAgent(userAgent)).toBeUndefined();
  });
});
