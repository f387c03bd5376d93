// storegw-hub, the webcam hub daemon, against real peers: Kamailio as the
// registrar, baresip calling a rep through it (RTP counted at baresip),
// a small SIP client on UDP for the contract's INFO switch and MESSAGE
// (RTP checked packet by packet: same SSRC, continuous sequence numbers,
// a VP8 keyframe after the switch), a missing camera, SIGTERM.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');
const dgram = require('dgram');
const fs = require('fs');
const path = require('path');
const lib = require('./lib');
const { startKamailio, stopKamailio, baresip, stop, storegwHub, BUILDDIR } = require('./peers');
const { assert, waitFor, sleep, freePort } = lib;

const HUB = path.join(BUILDDIR, 'hub/storegw-hub');

// the hub registered at Kamailio k: alice, bob and dave (a camera that is
// not there) unless reps are given
function startHub(name, k, { reps, transport = 'udp', keepalive = 25 } = {}) {
  return storegwHub(name, k.uri, reps || [{ id: 'alice', colour: '#e53935', freq: 440 },
    { id: 'bob', colour: '#43a047', freq: 660 },
    { id: 'dave', colour: '#1e88e5', freq: 880, video: { type: 'v4l2', device: '/dev/video99' } }],
  { transport, keepalive });
}

// SIGTERM; resolves { code } (throws when ignored)
async function stopHub(h) {
  if (h.proc.exitCode !== null || h.proc.signalCode !== null) return { code: h.proc.exitCode };
  h.proc.kill('SIGTERM');
  const r = await Promise.race([h.exited, sleep(8000).then(() => 'timeout')]);
  if (r === 'timeout') { h.proc.kill('SIGKILL'); throw new Error('storegw-hub ignored SIGTERM'); }
  return { code: r };
}

// ---- a minimal SIP UAC over UDP (RFC 3261), enough for one dialog ----

function parseSip(buf) {
  const text = buf.toString();
  const sep = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, sep).split('\r\n');
  const m = /^SIP\/2\.0 (\d+)/.exec(lines[0]);
  const hdr = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    const n = l.slice(0, i).trim().toLowerCase();
    (hdr[n] = hdr[n] || []).push(l.slice(i + 1).trim());
  }
  return { status: m ? Number(m[1]) : 0, start: lines[0], hdr, body: text.slice(sep + 4) };
}

async function sipClient(name, target) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const c = { msgs: [], port, callId: `${crypto.randomUUID()}@hubtest`, tag: crypto.randomUUID().slice(0, 8), cseq: 1 };
  sock.on('message', (b) => {
    const m = parseSip(b);
    c.msgs.push(m);
    if (!m.status) {   // a request from the hub (BYE): answer 200
      const h = (n) => (m.hdr[n] || []).map((v) => `${n}: ${v}`).join('\r\n');
      sock.send(`SIP/2.0 200 OK\r\n${h('via')}\r\n${h('from')}\r\n${h('to')}\r\n` +
        `${h('call-id')}\r\n${h('cseq')}\r\nContent-Length: 0\r\n\r\n`, target.port, '127.0.0.1');
    }
  });
  c.request = async (method, ruri, { body = '', ctype = '', toTag = '', want = true, cseq, branch: br,
    callId = c.callId } = {}) => {
    const n = cseq || c.cseq++;
    const branch = br || `z9hG4bK${crypto.randomUUID().slice(0, 12)}`;
    c.lastBranch = branch;
    c.lastCseq = n;
    const msg = `${method} ${ruri} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport\r\n` +
      'Max-Forwards: 70\r\n' +
      `From: <sip:storegw@store1>;tag=${c.tag}\r\n` +
      `To: <${target.aor}>${toTag ? `;tag=${toTag}` : ''}\r\n` +
      `Call-ID: ${callId}\r\nCSeq: ${n} ${method}\r\n` +
      `Contact: <sip:storegw@127.0.0.1:${port}>\r\n` +
      (ctype ? `Content-Type: ${ctype}\r\n` : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const from = c.msgs.length;
    sock.send(msg, target.port, '127.0.0.1');
    if (!want) return null;
    return waitFor(() => c.msgs.slice(from).find((m) => m.status >= 200 &&
      (m.hdr['call-id'] || [''])[0] === callId &&
      (m.hdr.cseq || [''])[0] === `${n} ${method}`), 8000, `${name}: final response to ${method}`);
  };
  c.close = () => sock.close();
  return c;
}

// RTP sockets of the test's "gateway" side: every packet's SSRC/seq and
// whether it starts a VP8 keyframe (RFC 7741 4.2, 4.3).
async function rtpSink() {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  const sink = { sock: s, port: s.address().port, pkts: [] };
  s.on('message', (b) => {
    if (b.length < 12 || (b[1] & 0x7f) >= 72 && (b[1] & 0x7f) <= 76) return;   // RTCP
    const cc = b[0] & 0x0f;
    let off = 12 + 4 * cc;
    if (b[0] & 0x10) off += 4 + 4 * b.readUInt16BE(off + 2);
    const p = b.subarray(off);
    let i = 1;
    if (p[0] & 0x80) {
      const x = p[1]; i = 2;
      if (x & 0x80) i += (p[i] & 0x80) ? 2 : 1;
      if (x & 0x40) i += 1;
      if (x & 0x30) i += 1;
    }
    const key = (p[0] & 0x10) && (p[0] & 0x07) === 0 && (p[i] & 1) === 0;
    sink.pkts.push({ ssrc: b.readUInt32BE(8), seq: b.readUInt16BE(2), pt: b[1] & 0x7f, key, t: Date.now() });
  });
  return sink;
}

// h264: H.264 packetization-mode 1 before VP8; mux: rtcp-mux offered
function offer(aport, vport, { h264 = false, mux = false } = {}) {
  return ['v=0', 'o=storegw 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${aport} RTP/AVP 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
    ...(mux ? ['a=rtcp-mux'] : []), 'a=sendrecv',
    `m=video ${vport} RTP/AVP ${h264 ? '97 ' : ''}96`,
    ...(h264 ? ['a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=42e01f;packetization-mode=1'] : []),
    'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack pli',
    'a=rtcp-fb:96 ccm fir', ...(mux ? ['a=rtcp-mux'] : []), 'a=sendrecv', ''].join('\r\n');
}

function toTagOf(m) { return /;tag=([^;>\s]+)/.exec(m.hdr.to[0])[1]; }

// baresip calls alice through Kamailio; the hub answers with alice's
// synthetic camera and tone; baresip counts what it received.
// transport 'tcp': the reps register over TCP (Kamailio relays the call
// over it) and keep the flow with RFC 5626 CRLF pings every ~5 s.
async function baresipCall(transport = 'udp', codecs = {}) {
  const k = await startKamailio(`kam-hub-${transport}`, transport === 'tcp' ? ['WITH_TCP'] : []);
  let hub; let phone;
  try {
    hub = await startHub(`hub-call-${transport}`, k, { transport, keepalive: 5 });
    await waitFor(async () => (await hub.status()).reps.filter((r) => r.registered).length === 2,
      10000, 'alice and bob registered at Kamailio');
    let st = await hub.status();
    const dave = st.reps.find((r) => r.id === 'dave');
    assert(!dave.registered && dave.video === 'failed', `dave (no camera) stays unregistered (${JSON.stringify(dave)})`);

    // Opus over UDP, PCMU over TCP: the hub answers the offer's first
    const audio = codecs.audio || (transport === 'tcp' ? 'PCMU/8000/1' : 'opus/48000/2');
    const video = codecs.video || 'VP8';
    phone = await baresip('hub-phone', k, '+4930123', 'telpw', { audio, video });
    phone.ctrl.command('dial', 'sip:alice@store1');
    await waitFor(async () => {
      st = await hub.status();
      return st.calls.length === 1 && st.calls[0].video && st.calls[0].video.pkts > 30;
    }, 15000, 'the hub sends video on the call');
    const p1 = st.calls[0].video.pkts;
    await sleep(3000);
    st = await hub.status();
    const c = st.calls[0];
    console.log(`    hub call: ${JSON.stringify(c)}`);
    assert(c.audio.codec.toLowerCase() === audio.split('/')[0].toLowerCase() &&
      c.video.codec.toLowerCase() === video.toLowerCase(), `codecs ${c.audio.codec} ${c.video.codec}`);
    assert(c.rep === 'alice' && c.video.pkts > p1 && c.audio.pkts > 100,
      `video and audio packets rising (${p1} -> ${c.video.pkts})`);
    assert(c.rx_pkts > 50, `the hub counts baresip's RTP (${c.rx_pkts})`);
    assert(st.matrix.outputs === 2 && st.matrix.groups === 2, `matrix ${JSON.stringify(st.matrix)}`);

    phone.ctrl.command('hangup');
    const re = /video\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)[^]*?\nerrors:\s+(\d+)\s+(\d+)/;
    const a = await waitFor(() => /audio\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)/.exec(phone.out),
      5000, 'baresip RTP statistics');
    const v = re.exec(phone.out);
    console.log(`    baresip received ${a[2]} audio and ${v && v[2]} video packets (video errors ${v && v[4]})`);
    assert(Number(a[2]) > 150, 'audio reached baresip');
    assert(v && Number(v[2]) > 50 && Number(v[4]) === 0, 'video reached baresip without errors');
    // baresip's decoder reports the size of the first picture it decoded
    assert(/video: receiving with resolution 320 x 240/.test(phone.out), `baresip decoded 320x240 ${video}`);
    await waitFor(async () => (await hub.status()).calls.length === 0, 5000, 'call freed at the hub');
    await waitFor(async () => (await hub.status()).matrix.outputs === 0, 5000, 'outputs freed');
    if (transport === 'tcp') {
      assert(/REGISTER sip:store1 .*ct=<sip:alice@127\.0\.0\.1:\d+;transport=tcp>/.test(k.err + k.out),
        'alice registered over TCP');
      // RFC 5626: double-CRLF pings every 5 s on the flow; Kamailio
      // keeps the connection, the flows stay up and registered
      await waitFor(async () => (await hub.status()).reps.every((r) => r.id === 'dave' ||
        r.pings >= 2), 15000, 'two CRLF pings per rep');
      const reps = (await hub.status()).reps.filter((r) => r.id !== 'dave');
      assert(reps.every((r) => r.flow && r.flows === 1 && r.flows_lost === 0 && r.registered),
        `flows up, none lost (${JSON.stringify(reps)})`);
    }
  } finally {
    if (phone) { phone.ctrl.close(); await stop(phone); }
    if (hub) await stopHub(hub);
    await stopKamailio(k);
  }
}

// ALSA microphones: alice's is ALSA's "null" PCM (silence, no hardware),
// erin's a card that is not there (hw:99,0): erin's audio source goes
// FAILED and is retried, she stays unregistered, the hub runs, and a call
// to alice carries audio RTP captured from ALSA.
async function alsaMics() {
  const k = await startKamailio('kam-hubalsa');
  let hub; let ua; let vs; let as;
  try {
    const rep = (id, dev) => `  { id = "${id}"; name = "${id}"; password = "${id}pw"; ` +
      'video = { width = 320; height = 240; fps = 15; }; ' +
      `audio = { type = "alsa"; device = "${dev}"; rate = 48000; }; }`;
    hub = await startHub('hub-alsa', k, { reps: [rep('alice', 'null'), rep('erin', 'hw:99,0')] });
    await waitFor(async () => (await hub.status()).reps.some((r) => r.id === 'alice' && r.registered),
      10000, 'alice registered (ALSA null)');
    await sleep(1500);
    const st = await hub.status();
    const alice = st.reps.find((r) => r.id === 'alice');
    const erin = st.reps.find((r) => r.id === 'erin');
    console.log(`    alice audio ${alice.audio}, erin audio ${erin.audio} registered ${erin.registered}`);
    assert(alice.audio === 'ok', `alice's ALSA source runs (${JSON.stringify(alice)})`);
    assert(erin.audio === 'failed' && !erin.registered, `erin's hw:99,0 failed, not registered (${JSON.stringify(erin)})`);
    assert(hub.proc.exitCode === null, 'the hub runs');

    vs = await rtpSink(); as = await rtpSink();
    ua = await sipClient('ua', { port: hub.sipPort, aor: 'sip:alice@store1' });
    const ruri = `sip:alice@127.0.0.1:${hub.sipPort}`;
    const ok = await ua.request('INVITE', ruri, { body: offer(as.port, vs.port), ctype: 'application/sdp' });
    assert(ok.status === 200, `INVITE answered 200 (${ok.start})`);
    const tt = toTagOf(ok);
    await ua.request('ACK', ruri, { toTag: tt, want: false, cseq: ua.lastCseq });
    await waitFor(() => as.pkts.length > 50, 10000, 'alice\'s audio RTP from ALSA');
    const n0 = as.pkts.length;
    await sleep(2000);
    const n1 = as.pkts.length;
    console.log(`    audio RTP: ${n1 - n0} packets in 2 s (50/s in real time)`);
    assert(n1 - n0 >= 80 && n1 - n0 <= 120, `paced at 20 ms (${n1 - n0} in 2 s)`);
    const bye = await ua.request('BYE', ruri, { toTag: tt });
    assert(bye.status === 200, 'BYE 200');
  } finally {
    for (const s of [vs, as]) if (s) s.sock.close();
    if (ua) ua.close();
    if (hub) await stopHub(hub);
    await stopKamailio(k);
  }
}

// The contract's switch: INFO {"rep":"bob"} moves bob's camera and tone
// onto alice's call without renegotiation; MESSAGE counted; BYE.
// Then SIGTERM: every rep un-registered at Kamailio.
async function switchAndShutdown() {
  const k = await startKamailio('kam-hubsw');
  let hub; let ua; let vs; let as; let probe;
  try {
    const rep = (id, colour, extra = '') => `  { id = "${id}"; name = "${id}"; password = "${id}pw"; ` +
      `video = { colour = "${colour}"; width = 320; height = 240; fps = 15; }; ${extra} }`;
    hub = await startHub('hub-switch', k, { reps: [rep('alice', '#e53935'),
      rep('bob', '#43a047', 'answer_delay_ms = 700;'), rep('carol', '#1e88e5', 'answer = false;'),
      '  { id = "dave"; password = "davepw"; video = { type = "v4l2"; device = "/dev/video99"; }; }'] });
    await waitFor(async () => (await hub.status()).reps.filter((r) => r.registered).length === 3,
      10000, 'alice, bob and carol registered (dave has no camera)');
    vs = await rtpSink(); as = await rtpSink();
    ua = await sipClient('ua', { port: hub.sipPort, aor: 'sip:alice@store1' });
    const ruri = `sip:alice@127.0.0.1:${hub.sipPort}`;

    // bad input from outside: an error reply, and the hub runs on
    const bad = async (what, want, opts, uri = ruri) => {
      const res = await ua.request('INVITE', uri, { callId: `${crypto.randomUUID()}@bad`, ...opts });
      assert(res.status === want, `${what}: ${want} (got ${res.start})`);
    };
    await bad('unknown rep', 404, { body: offer(as.port, vs.port), ctype: 'application/sdp' },
      `sip:zed@127.0.0.1:${hub.sipPort}`);
    await bad('no offer', 488, {});
    await bad('malformed SDP', 488, { body: 'v=0\r\nm=audio x\r\n', ctype: 'application/sdp' });
    await bad('SRTP only', 488, { body: offer(as.port, vs.port).replace(/RTP\/AVP/g, 'RTP/SAVP'),
      ctype: 'application/sdp' });
    await bad('no common codec', 488, { body: offer(as.port, vs.port).replace('RTP/AVP 0 101', 'RTP/AVP 18')
      .replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:18 G729/8000').replace(/VP8/g, 'VP9'),
    ctype: 'application/sdp' });
    await bad('dave has no camera', 480, { body: offer(as.port, vs.port), ctype: 'application/sdp' },
      `sip:dave@127.0.0.1:${hub.sipPort}`);
    const junk = dgram.createSocket('udp4');
    junk.send(crypto.randomBytes(700), hub.sipPort, '127.0.0.1', () => junk.close());
    assert((await hub.status()).calls.length === 0 && hub.proc.exitCode === null,
      'no call left by the refused INVITEs, the hub runs');
    const ok = await ua.request('INVITE', ruri, { body: offer(as.port, vs.port), ctype: 'application/sdp' });
    const invCseq = ua.lastCseq;
    assert(ok.status === 200, `INVITE answered 200 (${ok.start})`);
    assert(ua.msgs.find((m) => m.status === 180), '180 Ringing first');
    assert(/m=audio [1-9]\d* RTP\/AVP 0\r\n/.test(ok.body) && /m=video [1-9]\d* RTP\/AVP 96\r\n/.test(ok.body),
      `answer has PCMU and VP8:\n${ok.body}`);
    const tt = toTagOf(ok);
    await ua.request('ACK', ruri, { toTag: tt, want: false, cseq: invCseq });

    await waitFor(() => vs.pkts.some((p) => p.key) && as.pkts.length > 50, 10000, 'alice\'s video and audio');
    const nBefore = vs.pkts.length;
    const info = (body, ctype = 'application/vnd.storegw.switch+json') =>
      ua.request('INFO', ruri, { body, ctype, toTag: tt });
    assert((await info('{"rep":"nobody"}')).status === 404, 'unknown rep: 404');
    assert((await info('{rep:')).status === 400, 'bad body: 400');
    assert((await info('{"who":"bob"}')).status === 400, 'no rep: 400');
    const t0 = Date.now();
    assert((await info('{"rep":"bob"}')).status === 200, 'switch to bob: 200');
    await waitFor(() => vs.pkts.some((p) => p.key && p.t >= t0), 5000, 'a keyframe after the switch');
    await sleep(1500);
    const msg = await ua.request('MESSAGE', ruri, { body: 'hello rep', ctype: 'text/plain', toTag: tt });
    assert(msg.status === 200, 'MESSAGE 200');

    // RFC 4585 PLI to the video leg's RTCP port: a keyframe at once
    const vport = Number(/m=video (\d+)/.exec(ok.body)[1]);
    const pli = Buffer.alloc(12);
    pli.writeUInt8(0x81, 0); pli.writeUInt8(206, 1); pli.writeUInt16BE(2, 2);
    pli.writeUInt32BE(0x1234, 4); pli.writeUInt32BE(vs.pkts[0].ssrc, 8);
    const tPli = Date.now();
    vs.sock.send(pli, vport + 1, '127.0.0.1');
    await waitFor(() => vs.pkts.some((p) => p.key && p.t >= tPli), 3000, 'a keyframe after PLI');

    let st = await hub.status();
    const c = st.calls[0];
    assert(c.video.keyreqs >= 1, `PLI counted (${c.video.keyreqs})`);
    console.log(`    after switch: ${JSON.stringify(c)}`);
    assert(c.rep === 'bob' && c.called === 'alice' && c.state === 'established',
      `the call shows bob now (${c.rep}, ${c.state})`);
    assert(c.video.switches === 1 && c.audio.switches === 1, 'one switch per output');
    assert(c.messages === 1 && c.bad_info === 2, `MESSAGE and bad INFOs counted (${c.messages}, ${c.bad_info})`);
    // one SSRC, no sequence gap across the switch (loopback: no loss)
    for (const s of [vs, as]) {
      const ssrcs = new Set(s.pkts.map((p) => p.ssrc));
      assert(ssrcs.size === 1, `one SSRC per stream (${[...ssrcs]})`);
      let gaps = 0;
      for (let i = 1; i < s.pkts.length; i++) {
        if (((s.pkts[i].seq - s.pkts[i - 1].seq) & 0xffff) !== 1) gaps++;
      }
      assert(gaps === 0, `continuous sequence numbers (${gaps} gaps in ${s.pkts.length})`);
    }
    assert(vs.pkts.length > nBefore + 10, 'video continues after the switch');

    const bye = await ua.request('BYE', ruri, { toTag: tt });
    assert(bye.status === 200, 'BYE 200');
    await waitFor(async () => (await hub.status()).calls.length === 0, 5000, 'call freed');

    // carol never answers: 180, then the caller's CANCEL ends it (487)
    const ring = await sipClient('ring', { port: hub.sipPort, aor: 'sip:carol@store1' });
    const cr = `sip:carol@127.0.0.1:${hub.sipPort}`;
    ring.request('INVITE', cr, { body: offer(as.port, vs.port), ctype: 'application/sdp', want: false });
    const invBranch = ring.lastBranch; const ringCseq = ring.lastCseq;
    await waitFor(() => ring.msgs.find((m) => m.status === 180), 5000, 'carol rings');
    await sleep(500);
    assert(!ring.msgs.find((m) => m.status >= 200), 'carol does not answer');
    assert((await hub.status()).calls[0].state === 'ringing', 'a ringing call in /status');
    const cancel = await ring.request('CANCEL', cr, { branch: invBranch, cseq: ringCseq });
    assert(cancel.status === 200, 'CANCEL 200');
    await waitFor(() => ring.msgs.find((m) => m.status === 487), 5000, 'INVITE 487 after CANCEL');
    await waitFor(async () => (await hub.status()).calls.length === 0, 5000, 'ringing call freed');
    ring.close();

    // bob answers after answer_delay_ms; SIGTERM with the call up: BYE
    const ub = await sipClient('ub', { port: hub.sipPort, aor: 'sip:bob@store1' });
    const br = `sip:bob@127.0.0.1:${hub.sipPort}`;
    const tInv = Date.now();
    const hs = await rtpSink();
    const okb = await ub.request('INVITE', br, { body: offer(as.port, hs.port, { h264: true, mux: true }),
      ctype: 'application/sdp' });
    assert(okb.status === 200 && Date.now() - tInv >= 650, `bob answers after ~700 ms (${Date.now() - tInv})`);
    assert(/m=video \d+ RTP\/AVP 97\r\na=rtpmap:97 H264\/90000\r\na=fmtp:97 [^\r]*packetization-mode=1/.test(okb.body) &&
      (okb.body.match(/a=rtcp-mux/g) || []).length === 2, `H.264 mode 1 and rtcp-mux answered:\n${okb.body}`);
    await ub.request('ACK', br, { toTag: toTagOf(okb), want: false, cseq: ub.lastCseq });
    await waitFor(() => hs.pkts.filter((p) => p.pt === 97).length > 10, 5000, 'H.264 RTP from bob');
    hs.sock.close();

    // and carol rings again
    const ring2 = await sipClient('ring2', { port: hub.sipPort, aor: 'sip:carol@store1' });
    ring2.request('INVITE', cr, { body: offer(as.port, vs.port), ctype: 'application/sdp', want: false });
    await waitFor(() => ring2.msgs.find((m) => m.status === 180), 5000, 'carol rings again');

    // SIGTERM: BYE for the call, 503 for the ringing one, un-REGISTER;
    // Kamailio then knows no alice (404)
    const r = await stopHub(hub);
    await waitFor(() => ub.msgs.find((m) => /^BYE /.test(m.start)), 3000, 'BYE from the hub at SIGTERM');
    await waitFor(() => ring2.msgs.find((m) => m.status === 503), 3000, '503 for the ringing call at SIGTERM');
    ub.close();
    ring2.close();
    assert(r.code === 0, `exit 0 (${JSON.stringify(r)})`);
    assert(hub.has(/stopped/), 'hub stopped cleanly');
    probe = await sipClient('probe', { port: k.port, aor: 'sip:alice@store1' });
    const nf = await probe.request('INVITE', 'sip:alice@store1', { body: offer(9, 9), ctype: 'application/sdp' });
    assert(nf.status === 404, `alice un-registered at Kamailio: INVITE via Kamailio gets ${nf.status}`);
  } finally {
    for (const x of [ua, probe]) if (x) x.close();
    for (const x of [vs, as]) if (x) x.sock.close();
    if (hub) await stopHub(hub);
    await stopKamailio(k);
  }
}

// Bad config: file:line and exit 2; --check-config and the generated file.
async function config() {
  const bad = path.join(lib.OUTDIR, 'hub-bad.conf');
  fs.writeFileSync(bad, 'gateway: {\n  expires = "x";\n};\n');
  const run = (args) => new Promise((resolve) => {
    const p = spawn(HUB, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, out }));
  });
  let r = await run(['-c', bad]);
  assert(r.code === 2 && r.out.includes(`${bad}:2: gateway.expires: expected an integer`), `bad config: ${r.code} ${r.out}`);
  r = await run(['--check-config', bad]);
  assert(r.code === 1 && r.out.includes(`${bad}:2:`), `--check-config of a bad file: ${r.code} ${r.out}`);
  r = await run(['--check-config', path.join(__dirname, '../../etc/storegw-hub.conf')]);
  assert(r.code === 0 && /: ok/.test(r.out), `etc/storegw-hub.conf checks: ${r.out}`);
  r = await run(['--version']);
  assert(r.code === 0 && /storegw-hub/.test(r.out), 'version');
}

module.exports = [
  { name: 'config', timeout: 15000, fn: config },
  { name: 'baresip_call', timeout: 60000, fn: () => baresipCall('udp') },
  { name: 'baresip_call_tcp', timeout: 60000, fn: () => baresipCall('tcp') },
  { name: 'baresip_amrwb_h264', timeout: 60000,
    fn: () => baresipCall('udp', { audio: 'AMR-WB/16000/1', video: 'H264' }) },
  { name: 'switch_sigterm', timeout: 60000, fn: switchAndShutdown },
  { name: 'alsa', timeout: 60000, fn: alsaMics },
];
