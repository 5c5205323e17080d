import { describe, expect, it } from 'vitest';
import { generateSigningKey, openRoomDirectory, parseSigningKey, publishRoomDirectory, signNote, type RoomDirectory } from '../../src/index.js';

const force = generateSigningKey('met.police.example/ops-rooms');
const signer = parseSigningKey(force.signingKey);
const impostor = generateSigningKey('met.police.example/ops-rooms');

const directory: RoomDirectory = {
  force: 'Example Metropolitan Police',
  issuedAt: '2026-11-27T09:00:00.000Z',
  rooms: [
    {
      id: 'lambeth',
      name: 'Lambeth ops room',
      publishedPhoneNumber: '+442072221234',
      device: { id: 'lambeth-1', handles: { facetime: '+442072221234', whatsapp: '+442072221234', teams: '8c2f5a8e-0000-4000-8000-000000000001' } },
    },
  ],
};

describe('signed ops-room directory', () => {
  it('opens with the force key and gives back exactly the rooms it signed', () => {
    const note = publishRoomDirectory(directory, signer);
    expect(note.startsWith('vcb-ops-room-directory/v1\nExample Metropolitan Police\n2026-11-27T09:00:00.000Z\n')).toBe(true);
    const opened = openRoomDirectory(note, force.verifierKey);
    expect(opened).toEqual({ ok: true, directory });
  });

  it('refuses a directory signed by another key, even under the same name', () => {
    const forged = publishRoomDirectory(directory, parseSigningKey(impostor.signingKey));
    expect(openRoomDirectory(forged, force.verifierKey)).toMatchObject({ ok: false, reason: 'wrong-key' });
  });

  it('refuses a directory whose number was changed after signing', () => {
    const note = publishRoomDirectory(directory, signer);
    const altered = note.replace('"publishedPhoneNumber":"+442072221234"', '"publishedPhoneNumber":"+442072221235"');
    expect(altered).not.toBe(note);
    expect(openRoomDirectory(altered, force.verifierKey)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('refuses other signed text and unreadable keys without throwing', () => {
    const checkpointLike = signNote('met.police.example/ops-rooms\n12\nAAAA\n', signer);
    expect(openRoomDirectory(checkpointLike, force.verifierKey)).toMatchObject({ ok: false, reason: 'not-a-directory' });
    expect(openRoomDirectory(publishRoomDirectory(directory, signer), 'not a key')).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('will not sign an invalid directory', () => {
    expect(() => publishRoomDirectory({ ...directory, issuedAt: 'yesterday' }, signer)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    const badNumber = { ...directory, rooms: [{ ...directory.rooms[0]!, publishedPhoneNumber: '020 7222 1234' }] };
    expect(() => publishRoomDirectory(badNumber, signer)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
