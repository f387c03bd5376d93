// The IMS leg end to end, the phone's side of a call: headless Chromium ->
// storegw -> Kamailio -> sippeer (our sofia-sip phone with a small media
// side: it counts the RTP reaching its SDP port and sends a 400 Hz PCMU tone).
//   early_media:    reliable 183 with SDP -> the browser hears the network
//                   before the answer (RFC 3960, TS 24.229)
//   hold_resume:    the phone's re-INVITE a=sendonly, then a=sendrecv; the
//                   call survives and the browser's audio reaches the phone
//                   again after the resume
//   cancel_ringing: the browser hangs up while the phone rings (with and
//                   without early media) -> CANCEL, never BYE
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor, sleep } = lib;
const { startKamailio, stopKamailio, sippeer, stop, sippeerRtp, countLines, token,
  imsGateway: gateway } = require('./peers');

const tok = (claims = {}) => token({ dest: ['+4930124'], ...claims });

// A WebSocket in the page that also records the order of every message.
async function openClient(page, ws) {
  await page.evaluate(async (url) => {
    const c = await sg.open(url);
    c.seen = [];
    const orig = c.ws.onmessage;
    c.ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      c.seen.push({ type: m.type, call: m.call, reason: m.reason, t: Math.round(performance.now()) });
      orig(e);
    };
    window.c1 = c;
  }, ws);
}

const seen = (page, id) => page.evaluate((i) => window.c1.seen.filter((m) => m.call === i), id);
const audioIn = async (page, id) => (await page.evaluate((i) => sg.stats(i), id)).audio.packetsReceived;

async function noCallLeft(gw) {
  await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000,
    `calls_active 0 (${JSON.stringify(await lib.metrics(gw))})`);
}

// (1) early media: the phone sends a reliable 183 with its SDP and 4 s of
// tone before its 200; the browser must hear it before `connected`.
async function earlyMedia() {
  const k = await startKamailio('kam-early');
  let phone; let gw; let pg;
  try {
    phone = await sippeer('early-phone', k, '+4930124', ['--early-rtp', '4000']);
    gw = await gateway('ims-early', k);
    pg = await newPage(gw);
    const { page } = pg;
    await openClient(page, gw.ws);
    // callWith returns once the gateway's answer (made from the 183) is set
    const ansSdp = await page.evaluate(async (tok) => (await sg.callWith(window.c1, 'e1',
      '030124', { token: tok })).answerSdp, tok());
    await phone.wait(/^PRACK$/, 5000, 'the reliable 183 PRACKed');
    const start = phone.has(/^RTP-START early/);
    assert(/ pt=0 to 127\.0\.0\.1:\d+$/.test(start || ''),
      `the phone answered PCMU from the gateway's offer and sends early RTP (${start})`);
    const inv = phone.has(/^SDP v=0/);
    assert(/m=audio \d+ RTP\/AVP [\d ]*\b0\b/.test(inv) && /m=video /.test(inv),
      `the gateway's offer carries PCMU and video (${inv})`);
    assert(/m=audio [1-9]\d* UDP\/TLS\/RTP\/SAVPF 0\b/.test(ansSdp) &&
      /m=video 0 /.test(ansSdp), `the browser's answer: PCMU, video refused\n${ansSdp}`);

    // packets from the phone counted by Chromium while no `connected` came
    const early = await page.evaluate(async () => {
      const t0 = performance.now();
      for (;;) {
        const s = await sg.stats('e1');
        const connected = window.c1.seen.some((m) => m.call === 'e1' && m.type === 'connected');
        if (connected || s.audio.packetsReceived > 50 || performance.now() - t0 > 8000) {
          let energy = 0;
          (await sg.calls.e1.pc.getStats()).forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'audio') energy = r.totalAudioEnergy || 0;
          });
          return { pkts: s.audio.packetsReceived, connected, energy };
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    const answeredYet = !!phone.has(/^ANSWERED$/);
    console.log(`    early media: ${early.pkts} packets in the browser before the answer ` +
      `(audio energy ${early.energy.toFixed(3)})`);
    assert(!early.connected && !answeredYet,
      `early media heard before the answer (connected=${early.connected}, phone answered=${answeredYet})`);
    assert(early.pkts > 50, `early media reached the browser (${early.pkts} packets)`);
    // Chromium decoded a tone, not silence (0.244 full scale -> ~0.06 a second)
    assert(early.energy > 0.01, `the announcement is audible (energy ${early.energy})`);

    // then the answer: `connected`, after ringing and answer
    await page.evaluate(() => sg.next(window.c1, (m) => m.type === 'connected' && m.call === 'e1',
      10000));
    await phone.wait(/^ACK$/, 5000, 'ACK at the phone');
    const order = (await seen(page, 'e1')).map((m) => m.type);
    const at = (t) => order.indexOf(t);
    assert(at('ringing') >= 0 && at('ringing') < at('answer') && at('answer') < at('connected'),
      `ringing, answer, then connected (${order.join(', ')})`);
    // the same stream goes on after the answer, and the browser's audio
    // reaches the phone
    const n0 = await audioIn(page, 'e1');
    await waitFor(async () => (await audioIn(page, 'e1')) > n0 + 25, 5000,
      'the phone\'s audio after the answer');
    const rtp = await waitFor(async () => {
      const r = await sippeerRtp(phone);
      return r.rx > 50 ? r : null;
    }, 5000, 'the browser\'s audio at the phone');
    console.log(`    phone: ${rtp.rx} RTP packets received, ${rtp.tx} sent`);

    await page.evaluate(() => sg.hangup(window.c1, 'e1'));
    await phone.wait(/^BYE$/, 5000, 'BYE at the phone');
    await noCallLeft(gw);
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (phone) await stop(phone);
    await stopKamailio(k);
  }
}

// (2) the phone holds (re-INVITE a=sendonly) and resumes (a=sendrecv)
async function holdResume() {
  const k = await startKamailio('kam-hold');
  let phone; let gw; let pg;
  try {
    phone = await sippeer('hold-phone', k, '+4930124', ['--send-rtp', '--answer-after', '300']);
    gw = await gateway('ims-hold', k);
    pg = await newPage(gw);
    const { page } = pg;
    await openClient(page, gw.ws);
    await page.evaluate(async (tok) => {
      await sg.callWith(window.c1, 'h1', '030124', { token: tok });
      await sg.next(window.c1, (m) => m.type === 'connected' && m.call === 'h1', 15000);
    }, tok());
    const rxAbove = async (n, what) => waitFor(async () => {
      const r = await sippeerRtp(phone);
      return r.rx > n ? r : null;
    }, 5000, what);
    const before = await rxAbove(50, 'the browser\'s audio at the phone before the hold');
    await waitFor(async () => (await audioIn(page, 'h1')) > 50, 5000,
      'the phone\'s audio in the browser before the hold');

    // hold: re-INVITE with a=sendonly, answered 200 through the gateway
    phone.send('hold');
    await waitFor(() => countLines(phone, /^REINVITE-RESULT 200$/) >= 1, 5000,
      `hold answered 200:\n${phone.out}`);
    await waitFor(() => /re-offer from the far end/.test(gw.log()), 3000,
      'the re-offer reached the gateway');
    const hans = phone.has(/^REINVITE-SDP /);
    assert(/m=audio [1-9]\d* [^|]*\|.*a=recvonly/.test(hans || ''),
      `the gateway answers the hold recvonly (RFC 3264 6.1): ${hans}`);
    // RFC 3264 8.4: a held phone (sendonly) is sent nothing; it keeps
    // sending, and the browser keeps hearing it
    await sleep(200);                  /* packets already in flight */
    const held = await sippeerRtp(phone);
    const hb = await audioIn(page, 'h1');
    await sleep(1000);
    const held2 = await sippeerRtp(phone);
    console.log(`    on hold: the phone received ${held2.rx - held.rx} RTP packets in 1 s, ` +
      `the browser ${(await audioIn(page, 'h1')) - hb} from the phone`);
    assert(held2.rx - held.rx <= 2, `nothing sent to the held phone (${held2.rx - held.rx} in 1 s)`);
    assert((await audioIn(page, 'h1')) > hb + 25, 'the held phone is still heard');

    // resume: a=sendrecv
    phone.send('resume');
    await waitFor(() => countLines(phone, /^REINVITE-RESULT 200$/) >= 2, 5000,
      `resume answered 200:\n${phone.out}`);
    const resumed = await sippeerRtp(phone);
    const after = await rxAbove(resumed.rx + 40, 'the browser\'s audio at the phone after the resume');
    const b0 = await audioIn(page, 'h1');
    await waitFor(async () => (await audioIn(page, 'h1')) > b0 + 40, 5000,
      'the phone\'s audio in the browser after the resume');
    console.log(`    phone RTP received: ${before.rx} before the hold, ` +
      `${after.rx - resumed.rx} more after the resume`);
    const left = (await seen(page, 'h1')).filter((m) => m.type === 'hangup');
    assert(!left.length, `the call survived hold and resume (${JSON.stringify(left)})`);
    assert(!phone.has(/^TERMINATED/), 'the phone\'s call is up');

    await page.evaluate(() => sg.hangup(window.c1, 'h1'));
    await phone.wait(/^BYE$/, 5000, 'BYE at the phone');
    await noCallLeft(gw);
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (phone) await stop(phone);
    await stopKamailio(k);
  }
}

// (3) the browser hangs up while the phone rings: CANCEL, not BYE; once
// with a plain 180, once during early media (the browser has an answer).
async function cancelRinging() {
  const k = await startKamailio('kam-cancel');
  let ring; let early; let gw; let pg;
  try {
    ring = await sippeer('ring-phone', k, '+4930125', ['--reply', 'none', '--ring']);
    early = await sippeer('early-ring-phone', k, '+4930124',
      ['--reply', 'none', '--early-rtp', '30000']);
    gw = await gateway('ims-cancel', k);
    pg = await newPage(gw);
    const { page } = pg;
    await openClient(page, gw.ws);

    const hangupWhileRinging = async (id, to, phone, tok, { earlyMedia }) => {
      // no answer SDP comes with a plain 180: callWith stays pending
      await page.evaluate(([i, t, tk]) => {
        window[`p_${i}`] = sg.callWith(window.c1, i, t, { token: tk })
          .catch((e) => { window[`err_${i}`] = e.message; });
      }, [id, to, tok]);
      await page.evaluate((i) => sg.next(window.c1, (m) => m.type === 'ringing' && m.call === i,
        10000), id);
      await phone.wait(/^INVITE$/, 5000, 'INVITE at the phone');
      if (earlyMedia) {
        await page.evaluate((i) => window[`p_${i}`], id);
        await waitFor(async () => (await audioIn(page, id)) > 25, 5000,
          'early media in the browser');
        await waitFor(async () => (await sippeerRtp(phone)).rx > 25, 5000,
          'the browser\'s audio at the ringing phone');
      }
      await page.evaluate((i) => sg.hangup(window.c1, i), id);
      const h = await page.evaluate((i) => sg.next(window.c1,
        (m) => m.type === 'hangup' && m.call === i, 5000), id);
      assert(h.reason === 'normal', `hangup {reason:"normal"} (${JSON.stringify(h)})`);
      await phone.wait(/^CANCEL$/, 5000, 'CANCEL at the phone');
      await phone.wait(/^TERMINATED/, 5000, 'the phone\'s call ended');
      assert(!phone.has(/^BYE$/), `no BYE before an answer:\n${phone.out}`);
      assert(!phone.has(/^ANSWERED$/), 'the phone never answered');
      await noCallLeft(gw);
      const order = (await seen(page, id)).map((m) => m.type);
      assert(!order.includes('connected'), `never connected (${order.join(', ')})`);
      return order;
    };

    const o1 = await hangupWhileRinging('c1', '030125', ring,
      token({ dest: ['+4930125'] }), { earlyMedia: false });
    console.log(`    ringing: ${o1.join(', ')} -> CANCEL`);
    const o2 = await hangupWhileRinging('c2', '030124', early, tok(), { earlyMedia: true });
    console.log(`    early media: ${o2.join(', ')} -> CANCEL`);
    assert((gw.log().match(/\] ended: 487 local-cancel/g) || []).length === 2,
      `the gateway's UA ended both calls with CANCEL (487):\n${gw.log()}`);
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    for (const p of [ring, early]) if (p) await stop(p);
    await stopKamailio(k);
  }
}

module.exports = [
  { name: 'early_media', fn: earlyMedia, timeout: 60000 },
  { name: 'hold_resume', fn: holdResume, timeout: 60000 },
  { name: 'cancel_ringing', fn: cancelRinging, timeout: 60000 },
];
