/**
 * A share never holds Git's or Weft's own folders: a commit that creates or moves a
 * file there is refused whole, on every replica alike, naming its author; nothing of it
 * reaches the manifest. An honest replica cannot even stage such a path.
 */
import assert from 'node:assert/strict';
import { toHex } from '../../../protocol/src/crypto/index.js';
import { InvalidPathError, pathProblem, protectedSegment } from '../../../protocol/src/share/paths.js';
import { craftCreates } from './hostile-commits.js';
import { makeTeam } from './harness.js';

describe('share/protected paths', () => {
  const attacks = ['.git/config', '.git/hooks/pre-commit', 'sub/.git/config', '.GIT/config', '.git./config', '.git /config', '.git::$INDEX_ALLOCATION/config', 'GIT~1/config', '.weft/identity', 'deep/er/.Weft/share.json'];

  it('names every spelling of .git and .weft that some disk maps to the folder, and nothing else', () => {
    for (const seg of ['.git', '.GIT', '.Git.', '.git  ', '.git::$INDEX_ALLOCATION', 'git~1', 'GIT~1', '.weft', '.WEFT.']) assert.equal(protectedSegment(seg), true, seg);
    for (const seg of ['.gitignore', '.gitattributes', '.gitmodules', 'git', '.github', 'x.git', '.weftrc', 'weft', '.git-hooks']) assert.equal(protectedSegment(seg), false, seg);
    for (const p of attacks) assert.equal(pathProblem(p), 'protected', p);
    assert.equal(pathProblem('.github/workflows/ci.yml'), undefined);
  });

  it('an honest replica refuses to stage a protected path', () => {
    const { owner } = makeTeam([]);
    assert.throws(() => owner.createFile('.git/config', 'text', 'x'), (e: unknown) => e instanceof InvalidPathError && e.reason === 'protected');
    const f = owner.createFile('ok.txt', 'text', 'x');
    assert.throws(() => owner.renameFile(f, 'a/.git/hooks/post-checkout'), InvalidPathError);
  });

  for (const path of attacks) {
    it(`a writer's commit creating ${JSON.stringify(path)} is refused whole, with its author, on every replica`, () => {
      const team = makeTeam([
        ['mallory', 'writer'],
        ['victor', 'writer'],
      ]);
      const mallory = team.replicas.get('mallory')!;
      const hostile = craftCreates(mallory, team.keys.get('mallory')!, [
        { path: 'innocent.txt', text: 'looks fine\n' },
        { path, text: '[core]\n\tfsmonitor = "touch /tmp/pwned"\n' },
      ]);
      for (const name of ['owner', 'victor']) {
        const r = name === 'owner' ? team.owner : team.replicas.get(name)!;
        const before = JSON.stringify(r.files());
        const out = r.receive(hostile.bytes);
        const result = out.results.at(-1)!;
        assert.equal(result.status, 'rejected', `${name}: ${JSON.stringify(out.results)}`);
        assert.equal(result.status === 'rejected' && result.reason, 'protected-path');
        assert.equal(result.status === 'rejected' && result.author, toHex(team.keys.get('mallory')!.publicKey), 'the refusal names its author');
        assert.match(result.status === 'rejected' ? result.detail : '', /Git's or Weft's own folder/);
        assert.equal(JSON.stringify(r.files()), before, `${name}: nothing of the commit reached the manifest (not even innocent.txt)`);
        assert.equal(r.receive(hostile.bytes).results.at(-1)!.status, 'rejected', 'refused again when replayed');
      }
    });
  }
});
