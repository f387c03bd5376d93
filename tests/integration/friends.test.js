// Shopping with friends (issue 6): a shopper in a call with a rep sends
// `invite` and gets a link with a single-use code; a friend's browser
// joins with `call {to:"join:<code>"}`. The rep is a synthetic rep of the
// webcam hub (storegw-hub); every shopper decodes its video; A's browser
// plays 440 Hz and B's 880 Hz (WebAudio oscillators): the rep hears both
// in its one audio stream (the hub's /status `heard`) and not its own
// 660 Hz, each shopper hears the rep and the other, not itself (an
// analyser on the received track); chat is shared, bad codes are refused
// and counted, the friend leaving keeps the call up.
'use strict';
const path = require('path');
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor, freePort, sleep } = lib;
const { token, storegwHub, stop } = require('./peers');

const SECRET = 'store1-signing-secret-0123456789abcdef012345';
const tok = () => token({ iss: 'store1', dest: ['rep'] }, SECRET);

async function gateway(name, extra = {}) {
  const sport = await freePort();
  const pmin = 37000 + (process.pid % 100) * 40;
  const gw = await lib.startGateway(name, {
    sip: { media_addr: '127.0.0.1', rtp_port_min: pmin, rtp_port_max: pmin + 39 },
    showroom: { listen: `127.0.0.1:${sport}`, min_expires: 10, ring_timeout_s: 15 },
    stores: [{ id: 'store1', secret: SECRET }],
    reps: [{ id: 'bob', store: 'store1', name: 'BOB', password: 'bobpw', contacts: ['hub'] }],
    ...extra,
  });
  gw.sport = sport;
  return gw;
}

async function calls(gw) {
  return JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/calls`)).text).calls;
}

async function metric(gw, name) {
  const { text } = await lib.httpGet(`${gw.url}/metrics`);
  const m = new RegExp(`^storegw_${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

// A shopper's page calling `to` with video (VP8), not awaited.
async function shopper(gw, id, to, t) {
  const pg = await newPage(gw);
  await pg.page.evaluate(async ([ws, cid, dest, tk]) => {
    window.c = await sg.open(ws);
    window.callp = sg.callWith(window.c, cid, dest, { token: tk, video: true,
      codecs: { video: ['VP8'] } }).then(() => 'answered', (e) => `failed: ${e.message}`);
  }, [gw.ws, id, to, t]);
  pg.id = id;
  pg.next = (type, ms = 15000) => pg.page.evaluate(([cid, ty, tm]) =>
    sg.next(window.c, (m) => m.call === cid && (m.type === ty || m.type === 'hangup' ||
      m.type === 'error'), tm), [id, type, ms]);
  pg.send = (m) => pg.page.evaluate(([cid, msg]) =>
    window.c.ws.send(JSON.stringify({ call: cid, ...msg })), [id, m]);
  pg.stats = () => pg.page.evaluate((cid) => sg.stats(cid), id);
  pg.frames = async () => (await pg.stats()).video.framesDecoded;
  pg.hangup = () => pg.page.evaluate((cid) => sg.hangup(window.c, cid), id);
  // the microphone replaced by a pure tone (WebAudio oscillator)
  pg.tone = (hz) => pg.page.evaluate(async ([cid, f]) => {
    const ac = new AudioContext();
    await ac.resume();
    const o = ac.createOscillator(); const g = ac.createGain(); const d = ac.createMediaStreamDestination();
    o.frequency.value = f; g.gain.value = 0.25;
    o.connect(g); g.connect(d); o.start();
    window.toneCtx = ac;
    const snd = sg.calls[cid].pc.getSenders().find((x) => x.track && x.track.kind === 'audio');
    await snd.replaceTrack(d.stream.getAudioTracks()[0]);
  }, [id, hz]);
  // what the page's browser plays: analyser levels (dB) at freqs +-5 Hz
  pg.hears = (freqs) => pg.page.evaluate(async ([cid, fs]) => {
    if (!window.rxAn) {
      const ac = new AudioContext();
      await ac.resume();
      const tr = sg.calls[cid].pc.getReceivers().find((r) => r.track.kind === 'audio').track;
      const an = ac.createAnalyser();
      an.fftSize = 32768; an.smoothingTimeConstant = 0;
      ac.createMediaStreamSource(new MediaStream([tr])).connect(an);
      window.rxAn = { ac, an };
      await new Promise((r) => setTimeout(r, 1500));
    }
    const { ac, an } = window.rxAn;
    const d = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(d);
    const bin = ac.sampleRate / an.fftSize;
    const r = {};
    for (const f of fs) {
      let m = -200;
      for (let k = Math.floor((f - 5) / bin); k <= Math.ceil((f + 5) / bin); k++) m = Math.max(m, d[k]);
      r[f] = Math.round(m);
    }
    return r;
  }, [id, freqs]);
  return pg;
}

// What the hub's rep hears now (the last second): {secs, level_db, tones}
async function heard(h) {
  const st = await h.status();
  return st.calls[0].audio.heard;
}

const hasTone = (hd, hz, floor) => hd.tones.some((t) => Math.abs(t.hz - hz) <= 10 && t.db > floor);

// frames decoded by pg rise by at least n within ms
async function framesRise(pg, n, ms, what) {
  const f0 = await pg.frames();
  await waitFor(async () => (await pg.frames()) >= f0 + n, ms,
    `${what}: frames rising (from ${f0})`);
  return (await pg.frames()) - f0;
}

// A join with a code that must be refused: error bad-invite.
async function refusedJoin(gw, code, cid) {
  const pg = await newPage(gw);
  try {
    return await pg.page.evaluate(async ([ws, c, to]) => {
      const cl = await sg.open(ws);
      cl.ws.send(JSON.stringify({ type: 'call', call: c, to, media: 'chat' }));
      return sg.next(cl, (m) => m.call === c);
    }, [gw.ws, cid, `join:${code}`]);
  } finally {
    await pg.close().catch(() => {});
  }
}

async function friends() {
  let gw; let h; let a; let b; let d;
  try {
    gw = await gateway('friends');
    h = await storegwHub('friends-hub', `sip:127.0.0.1:${gw.sport}`,
      [{ id: 'bob', colour: '#43a047', freq: 660 }]);
    await waitFor(async () => {
      const r = JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/reps`)).text).reps;
      return r.length === 1 && r[0].registered && r[0].state === 'available';
    }, 10000, 'bob registered from the hub');

    // invite before the rep answers: refused
    a = await shopper(gw, 'a', 'rep:any', tok());
    const con = await a.next('connected');
    assert(con.type === 'connected' && con.rep === 'bob', `A connected to bob (${JSON.stringify(con)})`);
    console.log(`    A decodes bob's video: +${await framesRise(a, 30, 15000, 'A')} frames`);

    await a.send({ type: 'invite' });
    const inv = await a.next('invite');
    assert(inv.type === 'invite' && /^\/store\/\?join=[0-9a-f]{32}$/.test(inv.url) &&
      inv.url.endsWith(inv.code), `invite {url} (${JSON.stringify(inv)})`);
    assert(await metric(gw, 'invites_total') === 1, 'one invite counted');

    // B opens the link: joins with the code, no token
    b = await shopper(gw, 'b', `join:${inv.code}`, undefined);
    const bc = await b.next('connected');
    assert(bc.type === 'connected' && bc.rep === 'bob', `B connected to bob (${JSON.stringify(bc)})`);
    assert(await b.page.evaluate(() => window.callp) === 'answered', 'B answered');
    const fb = await framesRise(b, 30, 15000, 'B');
    const fa = await framesRise(a, 30, 5000, 'A with B joined');
    console.log(`    both decode bob's video: A +${fa}, B +${fb} frames`);
    let c = await calls(gw);
    const host = c.find((x) => x.to === 'rep:any');
    const fr = c.find((x) => x.to === 'join');
    assert(host && host.friends === 1 && fr && fr.host === host.id && fr.friend === 1,
      `B joined A's call as friend 1 (${JSON.stringify(c)})`);
    const st = await h.status();
    assert(st.calls.length === 1, `the hub has one call for both shoppers (${JSON.stringify(st.calls)})`);

    // audio: A plays 440 Hz, B 880 Hz; the rep (hub) must hear both in its
    // one audio stream, and not its own 660 Hz
    await a.tone(440);
    await b.tone(880);
    let hd;
    try {
      await waitFor(async () => {
        hd = await heard(h);
        return hasTone(hd, 440, -40) && hasTone(hd, 880, -40);
      }, 10000, 'the rep hears both shoppers');
    } finally {
      console.log(`    the rep hears (last second): ${JSON.stringify(hd)}`);
    }
    assert(!hasTone(hd, 660, -40), `the rep does not hear itself (${JSON.stringify(hd)})`);
    // each shopper hears the rep (660) and the other shopper, not itself
    let ha; let hb;
    try {
      await waitFor(async () => {
        ha = await a.hears([440, 660, 880]);
        hb = await b.hears([440, 660, 880]);
        return ha[880] - ha[440] > 20 && ha[660] - ha[440] > 20 &&
          hb[440] - hb[880] > 20 && hb[660] - hb[880] > 20;
      }, 10000, 'mix-minus at the shoppers');
    } finally {
      console.log(`    A plays (dB at 440/660/880 Hz): ${JSON.stringify(ha)}; B: ${JSON.stringify(hb)}`);
    }
    const au = await a.stats(); const bu = await b.stats();
    console.log(`    audio packets received: A ${au.audio.packetsReceived}, B ${bu.audio.packetsReceived}`);
    assert(bu.audio.packetsReceived > 50, 'B receives audio');
    c = await calls(gw);
    const hm = c.find((x) => x.id === host.id).mix;
    console.log(`    gateway mixer: ${JSON.stringify(hm)}`);
    assert(hm && hm.mixes > 0, `the gateway mixed two talkers (${JSON.stringify(hm)})`);

    // the code is single use; garbage and unknown codes are refused alike
    for (const [code, n] of [[inv.code, 'r1'], ['zz', 'r2'], ['0'.repeat(32), 'r3']]) {
      const m = await refusedJoin(gw, code, n);
      assert(m.type === 'error' && m.code === 'bad-invite', `join ${n} refused (${JSON.stringify(m)})`);
    }
    assert(await metric(gw, 'joins_refused_total') === 3, 'three refused joins counted');
    assert(await metric(gw, 'joins_total') === 1, 'one join counted');

    // shared chat: B's line reaches A (from friend1) and the rep
    const msgs = async () => (await h.status()).calls[0].messages;
    const m0 = await msgs();
    await b.send({ type: 'chat', text: 'this one in blue?' });
    const ch = await a.next('chat');
    assert(ch.type === 'chat' && ch.from === 'friend1' && ch.text === 'this one in blue?',
      `A sees B's chat (${JSON.stringify(ch)})`);
    await a.send({ type: 'chat', text: 'or green' });
    const ch2 = await b.next('chat');
    assert(ch2.type === 'chat' && ch2.from === 'shopper' && ch2.text === 'or green',
      `B sees A's chat (${JSON.stringify(ch2)})`);
    await waitFor(async () => (await msgs()) >= m0 + 2, 5000,
      'the rep received both chat lines');

    // a friend may not invite nor switch
    await b.send({ type: 'invite' });
    const be = await b.next('invite');
    assert(be.type === 'error', `a friend cannot invite (${JSON.stringify(be)})`);

    // B leaves: A's call continues
    await b.hangup();
    await waitFor(async () => (await calls(gw)).length === 1, 5000, 'B\'s leg freed');
    c = await calls(gw);
    assert(c[0].id === host.id && c[0].friends === 0, `A's call alone (${JSON.stringify(c)})`);
    console.log(`    B left; A still decodes: +${await framesRise(a, 30, 5000, 'A after B left')} frames`);

    // A invites C, then A leaves: the call goes on for C (video, its
    // audio to the rep) until C leaves too
    await a.send({ type: 'invite' });
    const inv2 = await a.next('invite');
    assert(inv2.type === 'invite' && inv2.code !== inv.code, `a second invite (${JSON.stringify(inv2)})`);
    d = await shopper(gw, 'c', `join:${inv2.code}`, undefined);
    const cc = await d.next('connected');
    assert(cc.type === 'connected', `C connected (${JSON.stringify(cc)})`);
    await framesRise(d, 30, 15000, 'C');
    await d.tone(880);
    await a.hangup();
    await sleep(1500);
    c = await calls(gw);
    const left = c.find((x) => x.id === host.id);
    assert(c.length === 2 && left && left.left === true && left.friends === 1,
      `A left, its call goes on for C (${JSON.stringify(c)})`);
    console.log(`    A left; C still decodes: +${await framesRise(d, 30, 5000, 'C after A left')} frames`);
    try {
      await waitFor(async () => {
        hd = await heard(h);
        return hasTone(hd, 880, -50) && !hasTone(hd, 440, -50);
      }, 8000, 'the rep hears C and no longer A');
    } finally {
      console.log(`    the rep hears (last second): ${JSON.stringify(hd)}`);
    }
    await d.hangup();
    await waitFor(async () => (await calls(gw)).length === 0, 5000, 'the call ends with its last shopper');
    await waitFor(async () => (await h.status()).calls.length === 0, 5000, 'the rep\'s leg hung up');
  } finally {
    for (const p of [a, b, d]) if (p) await p.close().catch(() => {});
    if (gw) await stopGateway(gw);
    if (h) await stop(h);
  }
}

// The widget: A on the demo product page calls a rep (video), presses
// "Invite a friend", reads the link; B opens the link and joins at once.
const widget = (page, expr) => page.evaluate(`(async () => { const w = storegw.widgets[0]; return ${expr}; })()`);

async function widgetInvite() {
  let gw; let h; let a; let b;
  try {
    gw = await gateway('friends-widget', { demo: { enabled: true, store: 'store1', dest: ['rep'] } });
    h = await storegwHub('friends-widget-hub', `sip:127.0.0.1:${gw.sport}`,
      [{ id: 'bob', colour: '#43a047', freq: 660 }]);
    await waitFor(async () => {
      const r = JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/reps`)).text).reps;
      return r.length === 1 && r[0].registered;
    }, 10000, 'bob registered from the hub');
    a = await newPage(gw);
    await a.page.goto(`${gw.url}/store/product.html?sku=CHAIR-02`);
    await waitFor(async () => (await a.page.evaluate(() => document.body.dataset.target)) === 'rep:any',
      5000, 'the product page calls rep:any');
    await a.page.click('[data-testid=contact]');
    await a.page.click('[data-testid=mode-video]');
    await waitFor(async () => (await widget(a.page, 'w.state')) === 'connected', 15000, 'A connected');
    assert(await a.page.isHidden('[data-testid=invite-link]'), 'no link before asking');
    await a.page.click('[data-testid=invite]');
    await a.page.locator('[data-testid=invite-link]').waitFor({ state: 'visible', timeout: 5000 });
    const link = await a.page.inputValue('[data-testid=invite-link]');
    assert(/\/store\/product\.html\?sku=CHAIR-02&join=[0-9a-f]{32}$/.test(link), `the invite link (${link})`);
    console.log(`    A's widget shows ${link.replace(/join=.*/, 'join=<code>')}`);
    await a.page.screenshot({ path: path.join(lib.OUTDIR, 'friends-invite-a.png') });

    b = await newPage(gw);
    await b.page.goto(link);
    await waitFor(async () => (await widget(b.page, 'w.state')) === 'connected', 15000,
      'B joined from the link');
    for (const id of ['invite', 'switch', 'keypad']) {
      assert(await b.page.isHidden(`[data-testid=${id}]`), `a friend has no ${id} button`);
    }
    assert(await a.page.isVisible('[data-testid=switch]'), 'the first shopper keeps switch');
    await b.page.screenshot({ path: path.join(lib.OUTDIR, 'friends-joined-b.png') });
    await waitFor(async () => (await widget(b.page, '(await w.stats()).framesDecoded')) > 30, 15000,
      'B decodes the rep\'s video in the widget');
    const c = await calls(gw);
    assert(c.length === 2 && c.some((x) => x.friends === 1), `one call with a friend (${JSON.stringify(c)})`);
    // the link was used: opening it again is refused with the widget's message
    const again = await newPage(gw);
    try {
      await again.page.goto(link);
      await waitFor(async () => /does not work any more/.test(await widget(again.page,
        "w.root.querySelector('.alert').textContent")), 10000, 'a used link is refused');
    } finally {
      await again.close().catch(() => {});
    }
  } finally {
    for (const p of [a, b]) if (p) await p.close().catch(() => {});
    if (gw) await stopGateway(gw);
    if (h) await stop(h);
  }
}

module.exports = [
  { name: 'join', fn: friends, timeout: 120000 },
  { name: 'widget', fn: widgetInvite, timeout: 120000 },
];
