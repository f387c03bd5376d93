// Bad input from outside gets an error (or a counted drop) while another
// call on the same gateway keeps its media flowing.
'use strict';
const dgram = require('dgram');
const net = require('net');
const fs = require('fs');
const path = require('path');
const { startGateway, stopGateway, newPage, metrics, assert, waitFor, sleep, httpGet,
  wsClient } = require('./lib');

const OFFER = fs.readFileSync(process.env.SG_FIXTURES
  ? path.join(process.env.SG_FIXTURES, 'chromium-156-offer-audio-video.sdp')
  : path.join(__dirname, '../fixtures/chromium-156-offer-audio-video.sdp'), 'utf8');


async function framesNow(page) {
  return (await page.evaluate(() => sg.stats('a'))).video.framesDecoded;
}

async function badInput() {
  const gw = await startGateway('badinput', { gw: { max_calls_per_client: 2 } });
  const { page, close } = await newPage(gw);
  try {
    await page.evaluate(async (ws) => {
      window.c1 = await sg.open(ws);
      await sg.call(window.c1, 'a', 'echo');
      await sg.next(window.c1, (m) => m.type === 'connected');
    }, gw.ws);
    await waitFor(async () => (await framesNow(page)) > 30, 15000, 'call A media');
    const answerSdp = await page.evaluate(() => sg.calls.a.answerSdp);
    const port = Number(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+)/.exec(answerSdp)[1]);

    const c = await wsClient(gw.ws);
    const cases = [
      ['{"type":', 'bad-json'],
      ['[1,2,3]', 'bad-message'],
      ['{"call":"x"}', 'bad-message'],
      [{ type: 'fly', call: 'x' }, 'unknown-type'],
      [{ type: 'call', call: 'x', media: 'video', sdp: OFFER }, 'missing-field'],
      [{ type: 'call', call: 'x', to: 7, media: 'video', sdp: OFFER }, 'bad-field'],
      [{ type: 'call', call: 'x', to: 'echo', media: 'smell', sdp: OFFER }, 'bad-field'],
      [{ type: 'call', call: 'x', to: 'echo', media: 'video', sdp: 'v=0\r\nbogus' }, 'bad-sdp'],
      [{ type: 'call', call: 'x', to: 'echo', media: 'video',
        sdp: OFFER.replace(/a=fingerprint:.*\r?\n/g, '') }, 'bad-sdp'],
      [{ type: 'call', call: 'x', to: '+4930123456', media: 'audio', sdp: OFFER }, 'forbidden'],
      [{ type: 'dtmf', call: 'x', digits: '12' }, 'unknown-call'],
      [{ type: 'hangup', call: 'nope' }, 'unknown-call'],
      [{ type: 'chat', call: 'x' }, 'missing-field'],
      ['{"type":"call","call":"d","to":"echo","media":"chat","x":' +
        '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}', 'bad-json'],
    ];
    for (const [msg, code] of cases) {
      c.send(msg);
      const r = await c.next();
      assert(r.type === 'error' && r.code === code,
        `${JSON.stringify(msg).slice(0, 60)} -> ${code} (got ${JSON.stringify(r)})`);
      assert(typeof r.message === 'string' && r.message.length > 0, 'error has a message');
    }
    // the connection is still usable: a chat-only echo call works
    c.send({ type: 'call', call: 'ok', to: 'echo', media: 'chat' });
    let r = await c.next();
    assert(r.type === 'connected' && r.call === 'ok', `chat call connected (${JSON.stringify(r)})`);
    c.send({ type: 'call', call: 'ok', to: 'echo', media: 'chat' });
    r = await c.next();
    assert(r.code === 'call-exists', `duplicate call id refused (${JSON.stringify(r)})`);
    // trickled candidates, mDNS names included, are accepted silently
    c.send({ type: 'candidate', call: 'ok', sdpMid: '0', candidate:
      'candidate:1 1 udp 2122260223 3b7c1f2e-1e0a-4c0e-9a57-1d4b2c3d4e5f.local 54321 typ host' });
    c.send({ type: 'chat', call: 'ok', text: 'hello' });
    r = await c.next();
    assert(r.type === 'chat' && r.text === 'hello', 'chat echoed');
    c.send({ type: 'call', call: 'ok2', to: 'echo', media: 'chat' });
    await c.next();
    c.send({ type: 'call', call: 'ok3', to: 'echo', media: 'chat' });
    r = await c.next();
    assert(r.code === 'too-many-calls', `per-client limit (${JSON.stringify(r)})`);

    // a WebSocket frame with a 64-bit length near 2^64 (libre 1.1.0 crash)
    const before = await framesNow(page);
    await new Promise((resolve, reject) => {
      const s = net.connect(Number(new URL(gw.url).port), '127.0.0.1', () => {
        s.write('GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n' +
          'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Version: 13\r\n\r\n');
        setTimeout(() => s.write(Buffer.from([0x81, 0xff, 0xff, 0xff, 0xff, 0xff,
          0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4, 0x41, 0x41])), 200);
      });
      s.on('data', () => {});
      s.on('close', resolve);
      s.on('error', resolve);
      setTimeout(() => { s.destroy(); reject(new Error('evil WS not closed')); }, 5000);
    });

    // UDP garbage, a STUN check with a wrong password and fake SRTP at call A's port
    const u = dgram.createSocket('udp4');
    const stun = Buffer.alloc(20 + 12);
    stun.writeUInt16BE(0x0001, 0); stun.writeUInt16BE(12, 2);
    stun.writeUInt32BE(0x2112A442, 4);
    stun.writeUInt16BE(0x0006, 20); stun.writeUInt16BE(8, 22); stun.write('abcd:efg', 24);
    const rtp = Buffer.alloc(172, 7); rtp[0] = 0x80; rtp[1] = 111;
    for (const pkt of [Buffer.from('garbage'), stun, rtp, Buffer.alloc(1500, 0xff), Buffer.alloc(0)]) {
      await new Promise((res) => u.send(pkt, port, '127.0.0.1', res));
    }
    u.close();
    await sleep(1500);
    const after = await framesNow(page);
    assert(after > before + 20, `call A kept decoding video (${before} -> ${after})`);
    const m = await metrics(gw);
    assert(m.ws_guard_closed_total >= 1, `guard closed the evil frame (${m.ws_guard_closed_total})`);
    assert(m.api_errors_total >= cases.length, 'errors counted');
    const calls = JSON.parse((await httpGet(`${gw.url}/api/v1/admin/calls`)).text).calls;
    const a = calls.find((x) => x.media === 'video');
    assert(a && a.connected, 'call A still listed and connected');
    c.ws.close();
  } finally {
    await close();
    await stopGateway(gw);
  }
}

module.exports = [{ name: 'errors_while_media_flows', fn: badInput, timeout: 60000 }];
