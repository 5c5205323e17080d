import { BridgeError, type ProviderHttpClient } from '../../index.js';
import { hasZoomCode } from './errors.js';

// Meeting not found or expired: 3001 (v2), 300 (the older status and delete tables).
const MEETING_GONE = [3001, 300];
// "Cannot delete this meeting since it's ended": nothing is left to end.
const MEETING_ENDED = [3007];
// "Cannot delete this meeting since it's in progress".
const MEETING_IN_PROGRESS = [3002];
// Zoom may still be ending the meeting when the delete arrives; one more try after this pause.
const DELETE_RETRY_AFTER_MS = 1_000;

/**
 * Ends a meeting for everyone with `PUT /meetings/{id}/status` `{"action":"end"}`, then deletes it so its
 * link is dead. A meeting already gone (404, 3001) or already ended (3007) counts as done.
 */
export async function endZoomMeeting(api: ProviderHttpClient, meetingId: string, sleep: (ms: number) => Promise<void>): Promise<void> {
  const path = `/meetings/${encodeURIComponent(meetingId)}`;
  try {
    await api.request({ method: 'PUT', path: `${path}/status`, body: { action: 'end' } });
  } catch (error) {
    // Zoom documents no answer for ending a meeting that never started or already ended, so any
    // refusal other than credentials or availability falls through to the delete, whose answer decides.
    if (!isGone(error) && !BridgeError.hasCode(error, 'PROVIDER_REJECTED')) throw error;
  }
  await deleteZoomMeeting(api, path, sleep);
}

/** Deletes a meeting without mailing its host, trying once more if Zoom still sees it in progress. */
export async function deleteZoomMeeting(api: ProviderHttpClient, path: string, sleep: (ms: number) => Promise<void>, retried = false): Promise<void> {
  try {
    await api.request({ method: 'DELETE', path: `${path}?schedule_for_reminder=false` });
  } catch (error) {
    if (isGone(error) || hasZoomCode(error, MEETING_ENDED)) return;
    if (!hasZoomCode(error, MEETING_IN_PROGRESS) || retried) throw error;
    await sleep(DELETE_RETRY_AFTER_MS);
    await deleteZoomMeeting(api, path, sleep, true);
  }
}

function isGone(error: unknown): boolean {
  return BridgeError.hasCode(error, 'NOT_FOUND') || hasZoomCode(error, MEETING_GONE);
}
