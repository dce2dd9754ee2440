/** Teammates' presence as offsets: anchors follow edits, clamping, lines, colours, names. Plain mocha (no vscode). */
import assert from 'node:assert/strict';
import { TextDoc, fingerprint, toHex } from '../../protocol/src/index.js';
import { MAX_SELECTIONS } from '../../protocol/src/multicast/presence.js';
import { memberColour } from '../../extension/presence/member-colour.js';
import { memberName, presenceLocation, type ReplicaView } from '../../extension/presence/presence-location.js';
import { clampOffset, lineOfOffset, resolvePresenceSelections, toPresenceSelections } from '../../extension/presence/presence-ranges.js';

/** Two replicas of one text, with ops delivered by hand. */
function pair(text: string): { me: TextDoc; mate: TextDoc; sync(): void } {
  const me = new TextDoc('me');
  const mate = new TextDoc('mate');
  mate.applyRemote(me.insert(0, text));
  let sentMe = me.version();
  let sentMate = mate.version();
  return {
    me,
    mate,
    sync() {
      const a = me.opsSince(sentMe);
      const b = mate.opsSince(sentMate);
      mate.applyRemote(a);
      me.applyRemote(b);
      sentMe = me.version();
      sentMate = mate.version();
    },
  };
}

describe('extension/presence: offsets and anchors', () => {
  it('clampOffset keeps offsets inside the document', () => {
    assert.equal(clampOffset(5, 10), 5);
    assert.equal(clampOffset(15, 10), 10);
    assert.equal(clampOffset(-3, 10), 0);
    assert.equal(clampOffset(Number.NaN, 10), 0);
    assert.equal(clampOffset(2.7, 10), 2);
    assert.equal(clampOffset(4, 0), 0);
  });

  it('a teammate\'s cursor resolves where they put it', () => {
    const { me, mate } = pair('hello world\nsecond line\n');
    const sels = toPresenceSelections(mate, [{ anchor: 6, active: 11 }, { anchor: 14, active: 14 }]);
    const r = resolvePresenceSelections(me, sels, me.length);
    assert.equal(r.missing, false);
    assert.deepEqual(r.selections, [{ anchor: 6, active: 11 }, { anchor: 14, active: 14 }]);
  });

  it('follows edits made before their next presence update, on either side', () => {
    const { me, mate, sync } = pair('hello world\n');
    const sels = toPresenceSelections(mate, [{ anchor: 6, active: 11 }]); // "world"
    me.insert(0, '>> '); // local edit before their selection
    let r = resolvePresenceSelections(me, sels, me.length);
    assert.deepEqual(r.selections, [{ anchor: 9, active: 14 }]);
    assert.equal(me.toString().slice(9, 14), 'world');
    me.insert(me.length, 'tail'); // after it: no move
    r = resolvePresenceSelections(me, sels, me.length);
    assert.deepEqual(r.selections, [{ anchor: 9, active: 14 }]);
    mate.insert(6, 'big '); // their own edit inside, before our sync: "hello big world"
    sync();
    r = resolvePresenceSelections(me, sels, me.length);
    assert.equal(me.toString().slice(r.selections[0]!.anchor, r.selections[0]!.active), 'big world');
  });

  it('a deleted anchor character collapses to where it was', () => {
    const { me, mate } = pair('abcdef');
    const sels = toPresenceSelections(mate, [{ anchor: 4, active: 4 }]); // after "abcd"
    me.delete(1, 4); // "af"
    const r = resolvePresenceSelections(me, sels, me.length);
    assert.deepEqual(r.selections, [{ anchor: 1, active: 1 }]);
  });

  it('never points past the end of the editor: clamped to the given length', () => {
    const { me, mate } = pair('0123456789');
    const sels = toPresenceSelections(mate, [{ anchor: 2, active: 10 }]);
    // The editor lags behind the share (a remote deletion not applied yet): 6 characters.
    const r = resolvePresenceSelections(me, sels, 6);
    assert.deepEqual(r.selections, [{ anchor: 2, active: 6 }]);
  });

  it('our offsets past the share\'s end are clamped when anchoring, and at most 64 selections go', () => {
    const doc = new TextDoc('me');
    doc.insert(0, 'abc');
    const sels = toPresenceSelections(doc, [{ anchor: 99, active: -1 }]);
    assert.deepEqual(resolvePresenceSelections(doc, sels, doc.length).selections, [{ anchor: 3, active: 0 }]);
    const many = toPresenceSelections(doc, Array.from({ length: 100 }, () => ({ anchor: 1, active: 1 })));
    assert.equal(many.length, MAX_SELECTIONS);
  });

  it('a selection naming a character not held yet is left out and reported missing', () => {
    const { me, mate } = pair('abc');
    mate.insert(3, 'xyz'); // not delivered
    const sels = toPresenceSelections(mate, [{ anchor: 6, active: 6 }, { anchor: 1, active: 1 }]);
    const r = resolvePresenceSelections(me, sels, me.length);
    assert.equal(r.missing, true);
    assert.deepEqual(r.selections, [{ anchor: 1, active: 1 }]);
  });

  it('lineOfOffset counts \\n, \\r\\n and lone \\r as one line end each', () => {
    assert.equal(lineOfOffset('a\nb\r\nc\rd', 0), 0);
    assert.equal(lineOfOffset('a\nb\r\nc\rd', 2), 1);
    assert.equal(lineOfOffset('a\nb\r\nc\rd', 5), 2);
    assert.equal(lineOfOffset('a\nb\r\nc\rd', 7), 3);
    assert.equal(lineOfOffset('a\nb', 99), 1);
  });
});

describe('extension/presence: location, colour, name', () => {
  const doc = new TextDoc('mate');
  doc.insert(0, 'one\ntwo\nthree\n');
  const replica: ReplicaView = {
    fileAt: (p: string) => (p === 'a.txt' ? ('F1' as never) : p === 'dir' ? ('F2' as never) : undefined),
    files: () => [{ file: 'F1', path: 'a.txt', kind: 'text' } as never, { file: 'F2', path: 'dir', kind: 'folder' } as never],
    document: () => doc,
    text: () => doc.toString(),
  };

  it('presenceLocation gives the file and the 0-based line of the primary cursor', () => {
    const selections = toPresenceSelections(doc, [{ anchor: 9, active: 10 }, { anchor: 0, active: 0 }]);
    assert.deepEqual(presenceLocation(replica, { file: 'a.txt', selections }), { path: 'a.txt', line: 2, offset: 10 });
    assert.deepEqual(presenceLocation(replica, { file: 'a.txt', selections: [] }), { path: 'a.txt', line: 0 });
    assert.deepEqual(presenceLocation(replica, { file: 'dir', selections }), { path: 'dir', line: 0 });
    assert.equal(presenceLocation(replica, { file: '', selections }), undefined);
  });

  it('colours are stable per member and differ between most members', () => {
    const keys = Array.from({ length: 40 }, (_, i) => toHex(new Uint8Array(32).fill(i)));
    for (const k of keys) assert.deepEqual(memberColour(k), memberColour(k.toUpperCase()));
    const hues = new Set(keys.map((k) => memberColour(k).hue));
    assert.ok(hues.size >= 30, `only ${hues.size} distinct hues for 40 members`);
    for (const k of keys) {
      const c = memberColour(k);
      assert.ok(c.hue >= 0 && c.hue < 360);
      assert.match(c.cursor, /^hsl\(\d+, 75%, 45%\)$/);
      assert.match(c.selection, /^hsla\(\d+, 75%, 45%, 0\.25\)$/);
    }
  });

  it('a cursor\'s name: the display name announced, else the name granted, else the fingerprint', () => {
    const hex = toHex(new Uint8Array(32).fill(7));
    const members = (name: string, role: 'owner' | 'writer' = 'writer') => ({ members: () => new Map([[hex, { role, name }]]) });
    // The owner of a share is 'owner' in its member list; her cursor says who she is.
    assert.equal(memberName(members('owner', 'owner'), { memberHex: hex, presence: { name: 'Alice' } }), 'Alice');
    assert.equal(memberName(members('Bob'), { memberHex: hex, presence: { name: 'Bob on his laptop' } }), 'Bob on his laptop');
    assert.equal(memberName(members('Bob'), { memberHex: hex, presence: { name: '  ' } }), 'Bob');
    assert.equal(memberName(members(''), { memberHex: hex, presence: { name: '' } }), fingerprint(new Uint8Array(32).fill(7)));
  });
});
