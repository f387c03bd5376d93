// A shopper's browser calls a phone through the gateway and the IMS core:
// headless Chromium -> storegw -> Kamailio (P-CSCF/registrar with digest
// auth) -> baresip (the rep's phone) or sippeer (our sofia-sip phone).
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor, freePort, wsClient } = lib;
const { startKamailio, stopKamailio, baresip, sippeer, stop, SECRET, token,
  imsGateway: gateway } = require('./peers');


// baresip reports RFC 4733 events it decoded over ctrl_tcp
function dtmfAt(phone, digit, what) {
  return waitFor(() => phone.ctrl.events.find((e) => e.type === 'CALL_DTMF_START' &&
    e.param === digit), 5000, `DTMF '${digit}' ${what} received by the phone`);
}

// baresip prints RTP statistics when a call ends (rtp_stats yes)
function rtpStats(phone) {
  const text = phone.out;
  const a = /audio\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)/.exec(text);
  const v = /video\s+Transmit:\s+Receive:\s*\npackets:\s+(\d+)\s+(\d+)/.exec(text);
  return a && v ? { audio: Number(a[2]), video: Number(v[2]) } : null;
}

// The shell example a store's backend can start from (README, "Tokens").
function shellToken(...dest) {
  return require('child_process').execFileSync(require('path').join(__dirname,
    '../../tools/mint-token.sh'), ['demo', '120', ...dest],
  { env: { ...process.env, SECRET } }).toString().trim();
}

async function browserToPhone() {
  const k = await startKamailio('kam-ims');
  let phone; let gw; let pg;
  try {
    phone = await baresip('phone', k, '+4930123', 'telpw',
      { contact: 'sip:store1@ims.test' });
    gw = await gateway('ims', k);
    pg = await newPage(gw);
    const { page } = pg;
    await page.evaluate(async ([ws, tok]) => {
      window.c1 = await sg.open(ws);
      window.c1.ws.send(JSON.stringify({ type: 'noop' }));
      await sg.callWith(window.c1, 'p1', '030123', { token: tok });
      await sg.next(window.c1, (m) => m.type === 'connected', 15000);
    }, [gw.ws, token()]);
    const st = await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('p1'));
      return s.video.framesDecoded > 50 && s.audio.packetsReceived > 150 ? s : null;
    }, 20000, 'video frames and audio from the phone in the browser');
    console.log(`    browser: ${st.video.framesDecoded} frames decoded, ` +
      `${st.audio.packetsReceived} audio packets from the phone`);

    // DTMF both ways into the call: the API message (RFC 4733 made by the
    // gateway) and the browser's own RTCDTMFSender (relayed, 48k -> 8k)
    await page.evaluate(() => window.c1.ws.send(JSON.stringify(
      { type: 'dtmf', call: 'p1', digits: '1' })));
    await dtmfAt(phone, '1', 'from the API');
    await page.evaluate(() => sg.calls.p1.pc.getSenders()
      .find((x) => x.track && x.track.kind === 'audio').dtmf.insertDTMF('7', 120));
    await dtmfAt(phone, '7', 'from the browser\'s RTCDTMFSender');

    // chat toward the phone: SIP MESSAGE in the dialog
    await page.evaluate(() => window.c1.ws.send(JSON.stringify(
      { type: 'chat', call: 'p1', text: 'is the blue one in stock?' })));
    await phone.wait(/store1@ims\.test: "is the blue one in stock\?"/, 5000,
      'the chat line at the phone');
    // and back: the rep's MESSAGE reaches the shopper's chat
    phone.ctrl.command('message', 'yes, in all sizes');
    const chat = await page.evaluate(() => sg.next(window.c1, (m) => m.type === 'chat', 5000));
    assert(chat.text === 'yes, in all sizes' && chat.call === 'p1',
      `chat from the phone (${JSON.stringify(chat)})`);

    // the browser hangs up: BYE to the phone, which counted our RTP
    await page.evaluate(() => sg.hangup(window.c1, 'p1'));
    await phone.wait(/Call with sip:store1@ims\.test terminated/, 5000, 'BYE at the phone');
    const rx = await waitFor(() => rtpStats(phone), 5000, 'the phone\'s RTP statistics');
    console.log(`    phone received ${rx.audio} audio and ${rx.video} video RTP packets`);
    assert(rx.audio > 150 && rx.video > 50, `RTP reached the phone (${JSON.stringify(rx)})`);
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'call freed');

    // a second call, and this time the phone hangs up
    phone.out = '';
    await page.evaluate(async (tok) => {
      await sg.callWith(window.c1, 'p2', '+49 30 123', { token: tok });
      await sg.next(window.c1, (m) => m.type === 'connected' && m.call === 'p2', 15000);
    }, shellToken('+4930*'));
    await waitFor(async () => (await page.evaluate(() => sg.stats('p2'))).audio.packetsReceived > 50,
      10000, 'media on the second call');
    phone.ctrl.command('hangup');
    const h = await page.evaluate(() => sg.next(window.c1, (m) => m.type === 'hangup' &&
      m.call === 'p2', 5000));
    assert(h.reason === 'remote-hangup', `the browser is told the rep hung up (${JSON.stringify(h)})`);
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'call freed');
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (phone) { phone.ctrl.close(); await stop(phone); }
    await stopKamailio(k);
  }
}

// Calls that must not leave, or that the network refuses: each gives the
// browser a clear error or hangup reason.
async function refused() {
  const k = await startKamailio('kam-ref');
  let busy; let silent; let gw; let c;
  try {
    busy = await sippeer('busy', k, '+4930124', ['--reply', '486']);
    silent = await sippeer('silent', k, '+4930125', ['--reply', 'none']);
    gw = await gateway('refused', k, { sip: { invite_timeout_s: 5 } });
    c = await wsClient(gw.ws);
    const offer = require('fs').readFileSync(require('path').join(__dirname,
      '../fixtures/chromium-156-offer-audio-video.sdp'), 'utf8');
    let n = 0;
    const call = (to, tok) => {
      n += 1;
      c.send({ type: 'call', call: `r${n}`, to, media: 'audio', token: tok, sdp: offer });
      return c.next(15000);
    };
    const expect = async (what, to, tok, code, re) => {
      const r = await call(to, tok);
      assert(r.type === 'error' && r.code === code && (!re || re.test(r.message)),
        `${what}: ${code} (got ${JSON.stringify(r)})`);
    };

    await expect('no token', '030123', undefined, 'forbidden', /token/);
    await expect('bad signature', '030123', token({}, 'another-secret-0123456789abcdefghij'),
      'forbidden', /not valid/);
    await expect('expired', '030123', token({ exp: Math.floor(Date.now() / 1000) - 300 }),
      'forbidden', /expired/);
    const once = token();
    await expect('replay (first use is refused by the dial plan)', '0401234', once,
      'forbidden', /dial plan|not allowed/);
    await expect('replayed', '030123', once, 'forbidden', /already used/);
    await expect('outside the dial plan', '+4940123456', token({ dest: ['+4940123456'] }),
      'forbidden', /not allowed/);
    await expect('premium number denied', '030900123', token({ dest: ['+4930*'] }),
      'forbidden', /not allowed/);
    await expect('not a destination of the token', '030124', token({ dest: ['+4930123'] }),
      'forbidden', /token/);
    await expect('letters', 'sip:evil@example.com', token({ dest: ['+4930*'] }),
      'forbidden', /not allowed/);

    // busy: the phone answers 486
    let r = await call('030124', token({ dest: ['+4930124'] }));
    while (r.type === 'ringing' || r.type === 'answer') r = await c.next(10000);
    assert(r.type === 'hangup' && r.reason === 'busy' && r.code === 486,
      `busy (${JSON.stringify(r)})`);
    await busy.wait(/INVITE/, 2000, 'INVITE at the busy phone');

    // no answer: CANCEL after sip.invite_timeout_s
    const t0 = Date.now();
    r = await call('030125', token({ dest: ['+4930125'] }));
    while (r.type === 'ringing' || r.type === 'answer') r = await c.next(15000);
    assert(r.type === 'hangup' && r.reason === 'no-answer' && r.code === 408,
      `no answer (${JSON.stringify(r)})`);
    assert(Date.now() - t0 >= 4500, 'after the INVITE timeout');
    await silent.wait(/CANCEL/, 3000, 'CANCEL at the silent phone');
    const m = await lib.metrics(gw);
    assert(m.calls_active === 0, `no call left (${m.calls_active})`);
    const text = (await lib.httpGet(`${gw.url}/metrics`)).text;
    assert(/storegw_ims_registered\{store="demo"\} 1/.test(text), 'registration in /metrics');
    const refused = (re) => Number((re.exec(text) || [0, -1])[1]);
    assert(refused(/storegw_store_refused_total\{store="demo",reason="dialplan"\} (\d+)/) >= 3,
      'dial-plan refusals counted');
    const stores = JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/stores`)).text);
    assert(stores.stores[0].id === 'demo' && stores.stores[0].ims === 'OK' &&
      stores.stores[0].attempts >= 2, `admin stores (${JSON.stringify(stores)})`);
  } finally {
    if (c) c.ws.close();
    if (gw) await stopGateway(gw);
    for (const p of [busy, silent]) if (p) await stop(p);
    await stopKamailio(k);
  }
}

// The P-CSCF in use goes away: the gateway registers through the next one,
// and a call that cannot reach the network ends with a clear reason.
async function pcscfDown() {
  const k1 = await startKamailio('kam-a');
  const k2 = await startKamailio('kam-b');
  let gw; let phone; let c;
  try {
    phone = await baresip('phone2', k2, '+4930123', 'telpw');
    const dead = `sip:127.0.0.1:${await freePort()}`;
    gw = await gateway('pcscf', k1, { pcscf: [dead, k1.uri] });
    assert(new RegExp(`IMS registration OK.*via ${k1.uri.replace(/\./g, '\\.')}`).test(gw.log()),
      'registered through the second P-CSCF after the first failed');
    c = await wsClient(gw.ws);
    await stopKamailio(k1);
    const offer = require('fs').readFileSync(require('path').join(__dirname,
      '../fixtures/chromium-156-offer-audio-video.sdp'), 'utf8');
    c.send({ type: 'call', call: 'x1', to: '030123', media: 'audio', token: token(), sdp: offer });
    let r = await c.next(20000);
    while (r.type === 'ringing') r = await c.next(20000);
    assert(r.type === 'hangup' && r.reason === 'network-error',
      `clear reason when the P-CSCF is down (${JSON.stringify(r)})`);
  } finally {
    if (c) c.ws.close();
    if (gw) await stopGateway(gw);
    if (phone) { phone.ctrl.close(); await stop(phone); }
    await stopKamailio(k2);
    await stopKamailio(k1).catch(() => {});
  }
}


module.exports = [
  { name: 'browser_to_phone', fn: browserToPhone, timeout: 90000 },
  { name: 'refused', fn: refused, timeout: 90000 },
  { name: 'pcscf_down', fn: pcscfDown, timeout: 90000 },
];
