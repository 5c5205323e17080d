import type { DemoProvider } from './provider.js';

/** Providers `vcb demo --provider` can simulate; each loads its adapter only when chosen. */
export const DEMO_PROVIDERS: Readonly<Record<string, () => Promise<DemoProvider>>> = {
  agora: async () => (await import('./agora.js')).agoraDemo,
  daily: async () => (await import('./daily.js')).dailyDemo,
  facetime: async () => (await import('./facetime.js')).faceTimeDemo,
  'google-meet': async () => (await import('./google-meet.js')).googleMeetDemo,
  teams: async () => (await import('./teams.js')).teamsDemo,
  whatsapp: async () => (await import('./whatsapp.js')).whatsAppDemo,
  zoom: async () => (await import('./zoom.js')).zoomDemo,
};
