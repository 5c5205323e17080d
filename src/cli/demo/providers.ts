import type { DemoProvider } from './provider.js';

/** Providers `vcb demo --provider` can simulate; each loads its adapter only when chosen. */
export const DEMO_PROVIDERS: Readonly<Record<string, () => Promise<DemoProvider>>> = {
  daily: async () => (await import('./daily.js')).dailyDemo,
  zoom: async () => (await import('./zoom.js')).zoomDemo,
};
