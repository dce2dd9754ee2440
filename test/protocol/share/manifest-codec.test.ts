import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../protocol/src/codec/bytes.js';
import { DecodeError } from '../../../protocol/src/codec/errors.js';
import { decodeManifestOps, encodeManifestOps, readManifestOp, writeManifestOp } from '../../../protocol/src/share/manifest-codec.js';
import type { FileId, ManifestOp } from '../../../protocol/src/share/manifest.js';
import { InvalidPathError, ancestorFolders, conflictPath, normalisePath, pathProblem } from '../../../protocol/src/share/paths.js';

const F = '00112233445566778899aabbccddeeff' as FileId;

describe('share/manifest codec', () => {
  const ops: ManifestOp[] = [
    { type: 'create', file: F, path: 'src/a.ts', kind: 'text' },
    { type: 'create', file: F, path: 'img/logo.png', kind: 'binary' },
    { type: 'create', file: F, path: 'empty dir', kind: 'folder' },
    { type: 'rename', file: F, path: 'docs/héllo 😀.md' },
    { type: 'delete', file: F },
  ];

  it('round-trips every op kind, with golden bytes', () => {
    const bytes = encodeManifestOps(ops);
    assert.deepEqual(decodeManifestOps(bytes), ops);
    const one = encodeManifestOps([{ type: 'create', file: F, path: 'a', kind: 'folder' }]);
    assert.equal(Buffer.from(one).toString('hex'), '0101' + '02' + F + '01' + '61');
    assert.equal(Buffer.from(encodeManifestOps([{ type: 'delete', file: F }])).toString('hex'), '010104' + F);
    const w = new ByteWriter();
    writeManifestOp(w, ops[3]!);
    const r = new ByteReader(w.finish());
    assert.deepEqual(readManifestOp(r), ops[3]);
    r.expectEnd();
  });

  it('refuses malformed input with DecodeError only', () => {
    const good = encodeManifestOps(ops.slice(0, 1));
    const withPath = (p: string) => {
      const w = new ByteWriter();
      w.writeU8(1);
      w.writeVarUint(1);
      w.writeU8(3);
      w.writeFixed(new Uint8Array(16));
      w.writeString(p);
      return w.finish();
    };
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array([]), 'truncated'],
      [new Uint8Array([2, 0]), 'version'],
      [Uint8Array.of(...good, 0), 'malformed'], // trailing byte
      [good.slice(0, good.length - 1), 'truncated'],
      [new Uint8Array([1, 1, 5, ...new Uint8Array(16)]), 'malformed'], // unknown tag
      [new Uint8Array([1, 9, 4, ...new Uint8Array(16)]), 'truncated'], // count beyond input
      [withPath('/etc/passwd'), 'malformed'],
      [withPath('a/../b'), 'malformed'],
      [withPath('a//b'), 'malformed'],
      [withPath(''), 'malformed'],
      [withPath('x'.repeat(4097)), 'too-large'],
    ];
    for (const [bytes, code] of cases) {
      assert.throws(() => decodeManifestOps(bytes), (e: unknown) => e instanceof DecodeError && e.code === code, `${code}: ${Buffer.from(bytes.slice(0, 24)).toString('hex')}`);
    }
  });

  it('refuses to encode an invalid op', () => {
    assert.throws(() => encodeManifestOps([{ type: 'rename', file: F, path: 'a/./b' }]), InvalidPathError);
  });
});

describe('share/manifest paths', () => {
  it('normalises harmless forms and refuses the rest with a reason', () => {
    assert.equal(normalisePath('a//b/./c/'), 'a/b/c');
    assert.equal(normalisePath('./x'), 'x');
    assert.equal(normalisePath('Read Me.MD'), 'Read Me.MD');
    const refused: Array<[string, string]> = [
      ['', 'empty'],
      ['./', 'empty'],
      ['/abs', 'absolute'],
      ['a/../b', 'dot-segment'],
      ['..', 'dot-segment'],
      ['a\0b', 'nul'],
      ['a\uD800b', 'bad-unicode'],
      ['é'.repeat(2049), 'too-long'],
    ];
    for (const [input, reason] of refused) {
      assert.throws(() => normalisePath(input), (e: unknown) => e instanceof InvalidPathError && e.reason === reason, JSON.stringify(input));
    }
    assert.equal(pathProblem('a/b/'), 'empty-segment');
    assert.equal(pathProblem('a/./b'), 'dot-segment');
    assert.equal(pathProblem('x'.repeat(4096)), undefined);
    assert.equal(pathProblem('😀'.repeat(1024)), undefined);
  });

  it('builds conflict names beside the original and lists ancestor folders', () => {
    assert.equal(conflictPath('docs/notes.md', '1a2b3c4d', false), 'docs/notes (conflict 1a2b3c4d).md');
    assert.equal(conflictPath('archive.tar.gz', 't', false), 'archive.tar (conflict t).gz');
    assert.equal(conflictPath('.gitignore', 't', false), '.gitignore (conflict t)');
    assert.equal(conflictPath('a.b/Makefile', 't', false), 'a.b/Makefile (conflict t)');
    assert.equal(conflictPath('v1.2', 't', true), 'v1.2 (conflict t)');
    assert.equal(conflictPath('odd.x (y)', 't', false), 'odd.x (y) (conflict t)');
    assert.deepEqual(ancestorFolders('a/b/c'), ['a/b', 'a']);
    assert.deepEqual(ancestorFolders('a'), []);
  });
});
