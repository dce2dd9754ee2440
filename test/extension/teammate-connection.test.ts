import assert from 'node:assert/strict';
import { describeTeammate } from '../../bin/peer-status.js';
import type { PeerStatus, TeammateConnection } from '../../protocol/runtime/index.js';
import { fingerprint, fromHex } from '../../protocol/src/index.js';
import { statusBarView, type SessionStatusInput } from '../../extension/status/status-text.js';
import { brokerLabel, connectionView, multiaddrHost } from '../../extension/status/teammate-words.js';

const BROKER = 'b'.repeat(64);
const BROKER_ADDR = '/dns4/broker.example.org/tcp/4001/ws/p2p/12D3KooWAbc';
const lan: TeammateConnection = { member: '1'.repeat(64), name: 'Ana', connection: 'direct' };
const punched: TeammateConnection = { member: '2'.repeat(64), name: 'Bob', connection: 'direct', webrtc: true };
const relayed: TeammateConnection = { member: '3'.repeat(64), name: 'Cleo', connection: 'relayed', via: BROKER, viaAddr: BROKER_ADDR };
const away: TeammateConnection = { member: '4'.repeat(64), name: 'Dan', connection: 'none' };

function status(teammates: TeammateConnection[], more: Partial<PeerStatus> = {}): PeerStatus {
  return { brokers: 1, brokerKeys: [BROKER], peers: 2, syncing: 0, commits: 7, joined: true, retrying: [], teammates, ...more };
}

function session(teammates: TeammateConnection[], more: Partial<SessionStatusInput> = {}): SessionStatusInput {
  return { name: 'notes', status: status(teammates), online: teammates.length, reader: false, ...more };
}

describe('extension/how each teammate is connected (status bar, panel)', () => {
  it('names each kind of connection as weft peer status does, the broker by the host it was dialled at', () => {
    assert.deepEqual(connectionView(lan), { how: 'direct', text: 'direct' });
    assert.deepEqual(connectionView(punched), { how: 'direct', text: 'direct (WebRTC through the NATs)' });
    assert.deepEqual(connectionView(relayed), { how: 'relayed', text: 'relayed through broker broker.example.org' });
    assert.deepEqual(connectionView(away), { how: 'none', text: 'not connected' });
    // weft peer status names the broker by its key: the words around it are the same.
    const key = 'weft1brokerkey';
    for (const t of [lan, punched, relayed, away]) {
      const line = describeTeammate({ name: t.name, key: 'weft1x', connection: t.connection, ...(t.webrtc ? { webrtc: true } : {}), ...(t.via ? { via: key } : {}) });
      assert.equal(line, `${t.name} (weft1x): ${connectionView(t).text.replace('broker.example.org', key)}`);
    }
  });

  it('names a broker that dialled us (no address) by its key\'s fingerprint', () => {
    const inbound: TeammateConnection = { member: relayed.member, name: 'Cleo', connection: 'relayed', via: BROKER };
    assert.equal(brokerLabel(inbound), fingerprint(fromHex(BROKER)));
    assert.equal(connectionView(inbound).text, `relayed through broker ${fingerprint(fromHex(BROKER))}`);
    assert.equal(multiaddrHost('/ip4/203.0.113.1/tcp/4001/p2p/12D3KooWAbc'), '203.0.113.1');
    assert.equal(multiaddrHost('/ip6/::1/tcp/1'), '::1');
    assert.equal(multiaddrHost('/p2p/12D3KooWAbc'), undefined);
  });

  it('the status bar counts teammates by how they are connected, and lists each in its tooltip', () => {
    const view = statusBarView([session([lan, punched, relayed, away])]);
    assert.equal(view.text, '$(broadcast) Weft: 4 online (2 direct, 1 relayed, 1 not connected) · 1 broker');
    const lines = view.tooltip.split('\n');
    assert.equal(lines[0], 'notes: 2 peer(s), 1 broker(s), 7 commits');
    assert.deepEqual(lines.slice(1), ['  Ana: direct', '  Bob: direct (WebRTC through the NATs)', '  Cleo: relayed through broker broker.example.org', '  Dan: not connected']);
  });

  it('the status bar sums teammates over shares, and leaves out kinds nobody has', () => {
    const view = statusBarView([session([relayed], { name: 'a' }), session([{ ...relayed, member: '5'.repeat(64), name: 'Eve' }], { name: 'b' })]);
    assert.equal(view.text, '$(broadcast) Weft: 2 online (2 relayed) · 1 broker');
    assert.match(view.tooltip, /^a: .*\n {2}Cleo: relayed through broker broker\.example\.org\nb: .*\n {2}Eve: relayed/);
  });

  it('the status bar without teammates, before access, and not sharing', () => {
    assert.equal(statusBarView([session([])]).text, '$(broadcast) Weft: 0 online · 1 broker');
    assert.equal(statusBarView([{ ...session([]), status: status([], { joined: false, brokers: 0, brokerKeys: [] }) }]).text, '$(key) Weft: waiting for access');
    assert.equal(statusBarView([session([], { reader: true, branch: { follows: 'main', away: 'fix' } })]).text, '$(broadcast) Weft: 0 online · 1 broker · read-only · away (on fix)');
    assert.deepEqual(statusBarView([]), { text: '$(broadcast) Weft', tooltip: 'Weft: not sharing. Click for status.' });
  });
});
