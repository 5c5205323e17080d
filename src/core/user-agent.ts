import type { CallerCapabilities, Platform } from './types.js';

/**
 * What a User-Agent says about the phone it came from: its platform, and the call apps it is sure to
 * have. Only FaceTime is certain (built into every iPhone); WhatsApp and the rest may or may not be
 * installed, so they are left for the citizen to say.
 */
export function capabilitiesFromUserAgent(userAgent: string): CallerCapabilities | undefined {
  const platform = platformOf(userAgent);
  if (platform === undefined) return undefined;
  return { platform, apps: platform === 'ios' ? ['facetime'] : [], browser: true };
}

function platformOf(userAgent: string): Platform | undefined {
  // iPadOS 13+ asks for desktop pages and says "Macintosh"; it is then treated as a desktop, which can still join by browser.
  if (/\b(iPhone|iPad|iPod)\b/.test(userAgent)) return 'ios';
  if (/\bAndroid\b/.test(userAgent)) return 'android';
  if (/\b(Windows NT|Macintosh|X11|CrOS|Linux)\b/.test(userAgent)) return 'desktop';
  return undefined;
}
