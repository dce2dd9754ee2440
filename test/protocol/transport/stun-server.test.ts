/** The broker's STUN responder (issue 19): Binding requests answered, anything else dropped. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { crc32 } from 'node:zlib';
import { StunServer, stunResponse, stunServersOf } from '../../../protocol/transport/stun-server.js';

function bindingRequest(txid = new Uint8Array(12).fill(7)): Uint8Array {
  const req = new Uint8Array(20);
  const v = new DataView(req.buffer);
  v.setUint16(0, 0x0001);
  v.setUint32(4, 0x2112a442);
  req.set(txid, 8);
  return req;
}

/** The XOR-MAPPED-ADDRESS of an IPv4 response, checked against its FINGERPRINT. */
function mapped(res: Uint8Array): { address: string; port: number } {
  const v = new DataView(res.buffer, res.byteOffset, res.byteLength);
  assert.equal(v.getUint16(0), 0x0101);
  assert.equal(v.getUint16(2), res.length - 20);
  assert.equal(v.getUint16(20), 0x0020);
  assert.equal(v.getUint16(res.length - 8), 0x8028);
  assert.equal(v.getUint32(res.length - 4), (crc32(res.subarray(0, res.length - 8)) ^ 0x5354554e) >>> 0);
  const cookie = [0x21, 0x12, 0xa4, 0x42];
  return { port: v.getUint16(26) ^ 0x2112, address: [0, 1, 2, 3].map((i) => res[28 + i]! ^ cookie[i]!).join('.') };
}

describe('transport/stun-server', () => {
  it('answers a Binding request with the asker\'s address and port, XORed, and a fingerprint', () => {
    const req = bindingRequest();
    const res = stunResponse(req, '203.0.113.2', 51660)!;
    assert.deepEqual(res.subarray(8, 20), req.subarray(8, 20), 'same transaction id');
    assert.deepEqual(mapped(res), { address: '203.0.113.2', port: 51660 });
    const v6 = stunResponse(req, '2001:db8::1', 4001)!;
    assert.equal(v6.length, 20 + 4 + 20 + 8);
  });

  it('drops what is not a well-formed Binding request', () => {
    const req = bindingRequest();
    const wrongType = req.slice();
    wrongType[1] = 0x11;
    const noCookie = req.slice();
    noCookie[4] = 0;
    const badLength = req.slice();
    badLength[3] = 4;
    for (const bad of [new Uint8Array(0), req.subarray(0, 19), wrongType, noCookie, badLength, new Uint8Array(600)]) assert.equal(stunResponse(bad, '10.0.0.1', 1), undefined);
  });

  it('peers use their brokers as STUN servers: same host and port, IPv4 and DNS names, each once', () => {
    const id = '/p2p/12D3KooWAbc';
    assert.deepEqual(
      stunServersOf([`/ip4/203.0.113.1/tcp/4001${id}`, `/ip4/203.0.113.1/tcp/4001/ws${id}`, `/dns4/broker.example.org/tcp/443/ws${id}`, `/ip6/::1/tcp/4001${id}`, `/ip4/10.0.0.1/udp/4001/quic${id}`]),
      ['stun:203.0.113.1:4001', 'stun:broker.example.org:443'],
    );
  });

  it('serves on UDP', async () => {
    const server = await StunServer.listen('127.0.0.1', 0);
    const port = server.port();
    const client = createSocket('udp4');
    try {
      const answer = new Promise<{ msg: Buffer; local: number }>((resolve) => client.once('message', (msg) => resolve({ msg, local: client.address().port })));
      client.send(bindingRequest(), port, '127.0.0.1');
      const { msg, local } = await answer;
      assert.deepEqual(mapped(new Uint8Array(msg)), { address: '127.0.0.1', port: local });
    } finally {
      client.close();
      await server.close();
    }
  });
});
