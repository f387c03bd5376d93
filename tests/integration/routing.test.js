// Rep routing (issue 5): the gateway's router picks a rep for rep:any,
// queues shoppers when every rep is busy, skips reps who are away or not
// registered, and falls through from a rep's hub contact that does not
// answer to the rep's mobile. Reps are real SIP endpoints (baresip)
// registered with the gateway's showroom; the mobile is baresip behind
// Kamailio (the IMS core), reached through the store's IMS identity.
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor, freePort, sleep } = lib;
const { baresip, sippeer, stop, token, startKamailio, stopKamailio, storegwHub } =
  require('./peers');

const SECRET = 'store1-signing-secret-0123456789abcdef012345';
const tok = () => token({ iss: 'store1', dest: ['rep'] }, SECRET);

// storegw with a showroom and the reps given (contacts default ['hub']);
// k: Kamailio for the store's IMS identity (tel: contacts).
async function routingGateway(name, reps, { k, showroom = {}, media = {} } = {}) {
  const sport = await freePort();
  const pmin = 36000 + (process.pid % 100) * 40;
  const store = { id: 'store1', secret: SECRET };
  const sip = { media_addr: '127.0.0.1', rtp_port_min: pmin, rtp_port_max: pmin + 39 };
  if (k) {
    Object.assign(sip, { enabled: true, bind: `127.0.0.1:${await freePort()}`,
      pcscf: [k.uri], invite_timeout_s: 30 });
    Object.assign(store, { ims_impu: 'sip:store1@ims.test', ims_impi: 'store1@ims.test',
      ims_password: 'store1pw', country_code: '49', allow: ['+4930*'] });
  }
  const gw = await lib.startGateway(name, {
    sip,
    media,
    showroom: { listen: `127.0.0.1:${sport}`, min_expires: 10, ring_timeout_s: 15,
      queue_max_wait_s: 60, queue_max: 5, ...showroom },
    stores: [store],
    reps: reps.map((r) => ({ store: 'store1', name: r.id.toUpperCase(),
      password: `${r.id}pw`, contacts: ['hub'], ...r })),
  });
  gw.sport = sport;
  if (k) {
    await waitFor(() => /IMS registration OK/i.test(gw.log()), 10000,
      `the store's IMS registration:\n${gw.log()}`);
  }
  return gw;
}

// baresip registered as rep id with the gateway's showroom (TCP)
function hubRep(gw, id, opts = {}) {
  return baresip(`rep-${id}`, { uri: `sip:127.0.0.1:${gw.sport};transport=tcp` }, id,
    `${id}pw`, { domain: 'store1', regint: 60, video: '', ...opts });
}

async function reps(gw) {
  const { text } = await lib.httpGet(`${gw.url}/api/v1/admin/reps`);
  return JSON.parse(text).reps;
}
const repOf = async (gw, id) => (await reps(gw)).find((r) => r.id === id);

async function calls(gw) {
  return JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/calls`)).text).calls;
}

async function adminPost(gw, path) {
  const res = await fetch(`${gw.url}/api/v1/admin/${path}`, { method: 'POST' });
  return { status: res.status, body: await res.text() };
}

// a per-store series of /metrics
async function series(gw, name) {
  const { text } = await lib.httpGet(`${gw.url}/metrics`);
  const m = new RegExp(`^storegw_${name}\\{store="store1"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : -1;
}

// A shopper: a page of its own, one audio call to `to`, not awaited (a
// queued call gets its answer later). Returns the page handle.
async function shopper(gw, id, to = 'rep:any', video = false) {
  const pg = await newPage(gw);
  await pg.page.evaluate(async ([ws, cid, dest, t, v]) => {
    window.c = await sg.open(ws);
    window.nanswer = 0;
    window.c.ws.addEventListener('message', (e) => {
      if (JSON.parse(e.data).type === 'answer') window.nanswer += 1;
    });
    window.callp = sg.callWith(window.c, cid, dest, { token: t, video: v,
      codecs: v ? { video: ['VP8'] } : undefined })
      .then(() => 'answered', (e) => `failed: ${e.message}`);
  }, [gw.ws, id, to, tok(), video]);
  pg.id = id;
  pg.next = (type, ms = 15000) => pg.page.evaluate(([cid, ty, t]) =>
    sg.next(window.c, (m) => m.call === cid && (m.type === ty || m.type === 'hangup' ||
      m.type === 'error'), t), [id, type, ms]);
  pg.audio = () => pg.page.evaluate((cid) => sg.stats(cid), id)
    .then((s) => s.audio.packetsReceived);
  pg.frames = () => pg.page.evaluate((cid) => sg.stats(cid), id)
    .then((s) => s.video.framesDecoded);
  pg.hangup = () => pg.page.evaluate((cid) => sg.hangup(window.c, cid), id);
  return pg;
}

async function connected(pg) {
  const m = await pg.next('connected');
  assert(m.type === 'connected', `${pg.id} connected (${JSON.stringify(m)})`);
  await waitFor(async () => (await pg.audio()) > 50, 10000, `${pg.id}: audio from the rep`);
}

// ms between the first log lines matching a and b
function logGap(gw, a, b) {
  const at = (re) => {
    const l = gw.log().split('\n').find((x) => re.test(x));
    return l ? Date.parse(l.split(' ')[0]) : NaN;
  };
  return at(b) - at(a);
}

// Four shoppers, three reps: the fourth waits at position 1 and is
// connected when a call ends.
async function queue() {
  let gw; const r = []; const s = [];
  try {
    gw = await routingGateway('routing-queue', [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }]);
    for (const id of ['alice', 'bob', 'carol']) r.push(await hubRep(gw, id));
    await waitFor(async () => (await reps(gw)).every((x) => x.state === 'available'), 5000,
      'three reps available');

    for (let i = 1; i <= 3; i++) {
      s.push(await shopper(gw, `s${i}`));
      await connected(s[i - 1]);
    }
    const busy = await reps(gw);
    assert(busy.every((x) => x.state === 'busy'), `all reps busy (${JSON.stringify(busy)})`);
    const served = (await calls(gw)).map((x) => x.rep).sort();
    assert(JSON.stringify(served) === '["alice","bob","carol"]',
      `one shopper per rep (${served})`);

    s.push(await shopper(gw, 's4'));
    const q = await s[3].next('queued');
    assert(q.type === 'queued' && q.position === 1, `s4 queued at position 1 (${JSON.stringify(q)})`);
    assert(await series(gw, 'router_queued') === 1, 'one shopper queued in /metrics');
    await sleep(1000);
    assert(await s[3].page.evaluate(() => window.c.msgs.filter((m) => m.type === 'answer').length) === 0,
      'no answer while queued');

    // the second call ends: its rep serves the fourth shopper
    const before = (await calls(gw)).map((x) => x.rep).filter(Boolean);
    const t0 = Date.now();
    await s[1].hangup();
    await connected(s[3]);
    console.log(`    s4 connected ${Date.now() - t0} ms after a call ended`);
    const now = await calls(gw);
    assert(now.length === 3 && await series(gw, 'router_queued') === 0,
      `three calls, none queued (${JSON.stringify(now)})`);
    assert(JSON.stringify(now.map((x) => x.rep).sort()) === JSON.stringify(before.sort()),
      `the freed rep took the fourth shopper (${before} -> ${now.map((x) => x.rep)})`);
    assert(await series(gw, 'router_served_total') === 4, 'four served');
  } finally {
    for (const p of s) await p.close().catch(() => {});
    if (gw) await stopGateway(gw);
    for (const p of r) { p.ctrl.close(); await stop(p); }
  }
}

// The webcam hub (storegw-hub) with alice (never answers) and bob, carol
// on a SIP phone: rep:any rings alice at most the ring timeout and lands
// on bob, then on carol; the hub dies: its reps are offline at once and
// the next shopper waits for carol instead of ringing a dead hub.
async function hub() {
  let gw; let h; let carol; const s = [];
  try {
    gw = await routingGateway('routing-hub', [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }],
      { showroom: { ring_timeout_s: 2 } });
    h = await storegwHub('routing-storegw-hub', `sip:127.0.0.1:${gw.sport}`,
      [{ id: 'alice', colour: '#e53935', answer: false }, { id: 'bob', colour: '#43a047', freq: 660 }]);
    await waitFor(async () => (await reps(gw)).filter((x) => x.registered).length === 2, 10000,
      'the hub\'s reps registered');
    await sleep(1100);
    carol = await hubRep(gw, 'carol');
    await waitFor(async () => (await repOf(gw, 'carol')).registered, 5000, 'carol registered');

    s.push(await shopper(gw, 's1'));
    await connected(s[0]);
    let c = await calls(gw);
    assert(c[0].rep === 'bob', `s1 with bob, the hub rep who answers (${JSON.stringify(c)})`);
    const st = await h.status();
    assert(st.calls.length === 1 && st.calls[0].rep === 'bob' && st.calls[0].audio.pkts > 0,
      `the hub sends bob's media (${JSON.stringify(st.calls)})`);
    s.push(await shopper(gw, 's2'));
    await connected(s[1]);
    c = await calls(gw);
    assert(c.some((x) => x.rep === 'carol'), `s2 with carol (${JSON.stringify(c)})`);
    const rt = await series(gw, 'router_ring_timeouts_total');
    console.log(`    alice (no answer) rang out ${rt} time(s) on the way`);
    assert((await repOf(gw, 'alice')).state === 'available', 'alice free after ringing out');

    // the hub dies: alice and bob are offline at once (TCP flow closed)
    const t0 = Date.now();
    h.proc.kill('SIGKILL');
    await waitFor(async () => {
      const r = await reps(gw);
      const a = r.find((x) => x.id === 'alice'); const b = r.find((x) => x.id === 'bob');
      return !a.registered && !b.registered && a.state === 'offline' && b.state !== 'available';
    }, 3000, 'the hub\'s reps offline (bob still busy with s1)');
    console.log(`    hub killed: its reps offline after ${Date.now() - t0} ms`);
    s.push(await shopper(gw, 's3'));
    const q = await s[2].next('queued');
    assert(q.type === 'queued' && q.position === 1, `s3 queued, not sent to the dead hub (${JSON.stringify(q)})`);
    await s[1].hangup();
    await connected(s[2]);
    c = await calls(gw);
    assert(c.some((x) => x.rep === 'carol' && x.connected), `carol serves s3 (${JSON.stringify(c)})`);
  } finally {
    for (const p of s) await p.close().catch(() => {});
    if (gw) await stopGateway(gw);
    if (carol) { carol.ctrl.close(); await stop(carol); }
    if (h) await stop(h);
  }
}

// The hub dies during a call (SIGKILL). Over TCP its flow closes and the
// call ends at once; over UDP nothing tells the gateway but the silence:
// after media.rtp_timeout_s (2 s here) the browser hears hangup
// media-timeout. Either way the rep is no longer busy.
async function deadHub(transport) {
  let gw; let h; let s;
  try {
    gw = await routingGateway(`routing-dead-${transport}`, [{ id: 'bob' }],
      { media: { rtp_timeout_s: 2 } });
    h = await storegwHub(`routing-dead-hub-${transport}`, `sip:127.0.0.1:${gw.sport}`,
      [{ id: 'bob', colour: '#43a047' }], { transport });
    await waitFor(async () => (await repOf(gw, 'bob')).registered, 10000, 'bob registered');
    s = await shopper(gw, 's1');
    await connected(s);
    assert((await repOf(gw, 'bob')).state === 'busy', 'bob busy during the call');
    const a0 = await s.audio();
    await sleep(2500);                 // longer than the timeout: media flows
    const a1 = await s.audio();
    assert(a1 > a0 + 50, `the call lives past the timeout while media flows (${a0} -> ${a1})`);

    const t0 = Date.now();
    h.proc.kill('SIGKILL');
    const m = await s.next('hangup', 6000);
    const dt = Date.now() - t0;
    console.log(`    ${transport}: hub killed, hangup ${JSON.stringify(m)} after ${dt} ms`);
    assert(m.type === 'hangup', `the browser hears the end (${JSON.stringify(m)})`);
    if (transport === 'udp') {
      assert(m.reason === 'media-timeout', `media-timeout (${JSON.stringify(m)})`);
      assert(dt >= 1900 && dt < 4000, `within the timeout (+1 s check) (${dt} ms)`);
    } else {
      assert(m.reason === 'network-error', `flow closed: network-error (${JSON.stringify(m)})`);
      assert(dt < 1500, `at once when the flow closes (${dt} ms)`);
    }
    await waitFor(async () => (await repOf(gw, 'bob')).state !== 'busy', 3000,
      'bob no longer busy');
    const r = await repOf(gw, 'bob');
    console.log(`    bob: ${r.state}${r.registered ? ' (binding until it expires)' : ''}`);
    assert((await calls(gw)).length === 0, 'no call left');
  } finally {
    if (s) await s.close().catch(() => {});
    if (gw) await stopGateway(gw);
    if (h) await stop(h);
  }
}

// one rep, a queue of one: the third shopper is refused at once, the
// second gives up after queue_max_wait_s; both hear hangup no-rep
async function queueLimits() {
  let gw; let r; const s = [];
  try {
    gw = await routingGateway('routing-limits', [{ id: 'alice' }],
      { showroom: { queue_max: 1, queue_max_wait_s: 3 } });
    r = await hubRep(gw, 'alice');
    await waitFor(async () => (await repOf(gw, 'alice')).state === 'available', 5000,
      'alice available');
    s.push(await shopper(gw, 's1'));
    await connected(s[0]);
    s.push(await shopper(gw, 's2'));
    const q = await s[1].next('queued');
    assert(q.type === 'queued' && q.position === 1, `s2 queued (${JSON.stringify(q)})`);
    const t0 = Date.now();
    s.push(await shopper(gw, 's3'));
    const h3 = await s[2].next('hangup');
    assert(h3.type === 'hangup' && h3.reason === 'no-rep', `queue full: no-rep (${JSON.stringify(h3)})`);
    const h2 = await s[1].next('hangup', 10000);
    const waited = Date.now() - t0;
    assert(h2.type === 'hangup' && h2.reason === 'no-rep', `max wait: no-rep (${JSON.stringify(h2)})`);
    console.log(`    s2 gave up after ~${waited} ms (queue_max_wait_s 3)`);
    assert(waited > 1500 && waited < 6000, `after the maximum wait (${waited} ms)`);
    assert(await series(gw, 'router_refused_total') === 1, 'one refusal counted');
    assert(await series(gw, 'router_timed_out_total') === 1, 'one time-out counted');
    assert(await series(gw, 'router_queued') === 0, 'nobody queued');
    // the answered call is untouched
    const a = await s[0].audio();
    await sleep(1000);
    assert(await s[0].audio() > a + 20, 's1 still hears alice');
  } finally {
    for (const p of s) await p.close().catch(() => {});
    if (gw) await stopGateway(gw);
    if (r) { r.ctrl.close(); await stop(r); }
  }
}

// rep:any skips an away rep and a rep whose hub is not registered; the
// admin API sets away/available; a rep:<id> for an away rep waits.
async function skip() {
  let gw; const r = []; const s = [];
  try {
    gw = await routingGateway('routing-skip', [{ id: 'alice' }, { id: 'bob' }, { id: 'carol' }]);
    // alice registered first: the longest idle; bob never registers
    r.push(await hubRep(gw, 'alice'));
    await waitFor(async () => (await repOf(gw, 'alice')).registered, 5000, 'alice registered');
    await sleep(1100);
    r.push(await hubRep(gw, 'carol'));
    await waitFor(async () => (await repOf(gw, 'carol')).registered, 5000, 'carol registered');
    const b = await repOf(gw, 'bob');
    assert(!b.registered && b.state === 'offline', `bob offline (${JSON.stringify(b)})`);
    const a = await repOf(gw, 'alice');
    assert(a.state === 'available' && a.idle_s >= 1, `alice idle (${JSON.stringify(a)})`);

    let res = await adminPost(gw, 'reps/store1/alice/away');
    assert(res.status === 200, `away: 200 (${res.status} ${res.body})`);
    assert((await repOf(gw, 'alice')).state === 'away', 'alice away');
    res = await adminPost(gw, 'reps/store1/zed/away');
    assert(res.status === 404, `unknown rep: 404 (${res.status})`);

    s.push(await shopper(gw, 's1'));
    await connected(s[0]);
    let c = await calls(gw);
    assert(c[0].rep === 'carol', `away alice and offline bob skipped: carol (${JSON.stringify(c)})`);
    const inv = r[0].lines().filter((l) => /Incoming call/i.test(l)).length;
    assert(inv === 0, 'nothing reached away alice');

    // rep:alice waits while she is away; served when she is back
    s.push(await shopper(gw, 's2', 'rep:alice'));
    const q = await s[1].next('queued');
    assert(q.type === 'queued' && q.position === 1, `rep:alice queued (${JSON.stringify(q)})`);
    res = await adminPost(gw, 'reps/store1/alice/available');
    assert(res.status === 200, `available: 200 (${res.status})`);
    await connected(s[1]);
    c = await calls(gw);
    assert(c.some((x) => x.rep === 'alice'), `alice serves rep:alice (${JSON.stringify(c)})`);

    // every rep busy or offline: the next shopper waits
    s.push(await shopper(gw, 's3'));
    const q3 = await s[2].next('queued');
    assert(q3.type === 'queued' && q3.position === 1, `s3 queued (${JSON.stringify(q3)})`);
    // bob registers: he serves s3
    r.push(await hubRep(gw, 'bob'));
    await connected(s[2]);
    c = await calls(gw);
    assert(c.some((x) => x.rep === 'bob'), `bob, once registered, serves s3 (${JSON.stringify(c)})`);
  } finally {
    for (const p of s) await p.close().catch(() => {});
    if (gw) await stopGateway(gw);
    for (const p of r) { p.ctrl.close(); await stop(p); }
  }
}

// dave's hub endpoint rings without answering: after the ring timeout the
// gateway cancels it and calls dave's mobile through the IMS core.
async function fallthrough() {
  let k; let gw; let hub; let mobile; let s;
  try {
    k = await startKamailio('routing-kamailio');
    mobile = await baresip('dave-mobile', k, '+4930123', 'telpw', { video: '' });
    gw = await routingGateway('routing-fall', [{ id: 'dave', contacts: ['hub', 'tel:+4930123'] }],
      { k, showroom: { ring_timeout_s: 2 } });
    hub = await hubRep(gw, 'dave', { answer: 'manual' });
    await waitFor(async () => (await repOf(gw, 'dave')).registered, 5000, 'dave registered');

    s = await shopper(gw, 's1', 'rep:dave');
    await hub.wait(/Incoming call|ringing/i, 5000, 'the hub endpoint rings');
    await connected(s);
    const ring = logGap(gw, /trying rep dave at hub/, /trying rep dave at tel:\+4930123/);
    const dt = logGap(gw, /trying rep dave at hub/, /rep dave answered/);
    console.log(`    hub rang ${ring} ms, mobile answered ${dt} ms after the first INVITE ` +
      '(ring timeout 2 s)');
    assert(ring >= 1990 && ring < 3000, `the mobile after the ring timeout (${ring} ms)`);
    await hub.wait(/CANCEL|cancel|closed/i, 3000, 'the hub endpoint cancelled');
    await mobile.wait(/Call established|established/i, 3000, 'the mobile answered');
    assert(await series(gw, 'router_ring_timeouts_total') === 1, 'one ring timeout counted');
    const c = await calls(gw);
    assert(c.length === 1 && c[0].rep === 'dave', `dave serves (${JSON.stringify(c)})`);
  } finally {
    if (s) await s.close().catch(() => {});
    if (gw) await stopGateway(gw);
    for (const p of [hub, mobile]) if (p) { p.ctrl.close(); await stop(p); }
    if (k) await stopKamailio(k);
  }
}

// dave's first mobile answers 183 with early media (the network's
// ringback) and never answers; after the ring timeout his second phone
// answers. The browser, answered by the early media, keeps its answer and
// its one audio stream: the second leg offers what it agreed and continues
// the RTP numbering.
async function fallthroughEarly() {
  let k; let gw; let early; let mobile; let s;
  try {
    k = await startKamailio('routing-kamailio3');
    early = await sippeer('dave-early', k, '+4930124', ['--reply', 'none', '--early-rtp', '30000']);
    mobile = await baresip('dave-mobile3', k, '+4930123', 'telpw', { video: '' });
    gw = await routingGateway('routing-early', [{ id: 'dave', contacts: ['tel:+4930124', 'tel:+4930123'] }],
      { k, showroom: { ring_timeout_s: 2 } });
    await waitFor(async () => (await repOf(gw, 'dave')).state === 'available', 5000, 'dave available');

    s = await shopper(gw, 's1', 'rep:dave');
    await waitFor(() => s.page.evaluate(() => window.nanswer === 1), 5000,
      'the browser answered by the early media');
    await waitFor(async () => (await s.audio()) > 20, 5000, 'early media heard');
    assert(!(await s.page.evaluate(() => window.c.msgs.some((m) => m.type === 'connected'))),
      'not connected during the early media');
    await connected(s);
    const ring = logGap(gw, /trying rep dave at tel:\+4930124/, /trying rep dave at tel:\+4930123/);
    console.log(`    early media ${ring} ms, then the second phone answered`);
    assert(ring >= 1990 && ring < 3000, `the second phone after the ring timeout (${ring} ms)`);
    await early.wait(/CANCEL/, 3000, 'the first phone cancelled');
    const a1 = await s.audio();
    await sleep(2000);
    const a2 = await s.audio();
    console.log(`    browser audio packets: ${a1} at the answer, ${a2} 2 s later`);
    assert(a2 > a1 + 50, `the browser hears the second phone (${a1} -> ${a2})`);
    assert(await s.page.evaluate(() => window.nanswer) === 1, 'one answer to the browser in all');
    await s.hangup();
    const rx = await waitFor(() => rtpStats(mobile), 5000, 'the phone\'s RTP statistics');
    assert(rx.rx > 50, `browser audio reached the second phone (${JSON.stringify(rx)})`);
  } finally {
    if (s) await s.close().catch(() => {});
    if (gw) await stopGateway(gw);
    if (mobile) { mobile.ctrl.close(); await stop(mobile); }
    if (early) await stop(early);
    if (k) await stopKamailio(k);
  }
}

// baresip prints RTP statistics when a call ends (rtp_stats yes)
function rtpStats(p, kind = 'audio') {
  const a = new RegExp(`${kind}\\s+Transmit:\\s+Receive:\\s*\\npackets:\\s+(\\d+)\\s+(\\d+)`)
    .exec(p.out);
  return a ? { tx: Number(a[1]), rx: Number(a[2]) } : null;
}

// switch {rep} from a hub rep to a rep reached only on the mobile: a new
// leg through the IMS core takes the old one's place; the browser keeps
// its transport and its answer (no new SDP) and hears (and sees) the new
// rep.
async function switchMobile(video, audio) {
  let k; let gw; let alice; let mobile; let s;
  try {
    k = await startKamailio('routing-kamailio2');
    mobile = await baresip('dave-mobile2', k, '+4930123', 'telpw',
      { video: video ? 'VP8' : '', ...(audio ? { audio } : {}) });
    gw = await routingGateway('routing-switch', [{ id: 'alice' },
      { id: 'dave', contacts: ['tel:+4930123'] }], { k });
    alice = await hubRep(gw, 'alice', { video: video ? 'VP8' : '' });
    await waitFor(async () => (await reps(gw)).every((x) => x.state === 'available'), 5000,
      'alice and dave available');

    s = await shopper(gw, 's1', 'rep:alice', video);
    await connected(s);
    if (video) await waitFor(async () => (await s.frames()) > 20, 10000, 'alice\'s video');
    const f0 = video ? await s.frames() : 0;
    const a0 = await s.audio();
    await s.page.evaluate(() => window.c.ws.send(JSON.stringify(
      { type: 'switch', call: 's1', rep: 'dave' })));
    const m = await s.next('connected');
    assert(m.type === 'connected' && m.rep === 'dave', `connected to dave (${JSON.stringify(m)})`);
    await mobile.wait(/Call established|established/i, 5000, 'the mobile answered');
    // alice's leg is hung up; she is free again
    await waitFor(async () => (await repOf(gw, 'alice')).state === 'available', 5000,
      'alice released');
    assert((await repOf(gw, 'dave')).state === 'busy', 'dave busy');
    const a1 = await s.audio();
    await sleep(2000);
    const a2 = await s.audio();
    console.log(`    browser audio packets: ${a0} before, ${a1} at, ${a2} 2 s after the switch`);
    assert(a2 > a1 + 50, `the browser hears the mobile after the switch (${a1} -> ${a2})`);
    if (video) {
      const f1 = await s.frames();
      await sleep(2000);
      const f2 = await s.frames();
      console.log(`    browser video frames: ${f0} before the switch, ${f1} 2 s after, ${f2} 4 s after`);
      assert(f2 > f1 + 10, `the browser sees the mobile's video after the switch (${f1} -> ${f2})`);
    }
    const c = await calls(gw);
    assert(c.length === 1 && c[0].rep === 'dave' && JSON.stringify(c[0].reps) === '["alice","dave"]',
      `the call record lists alice and dave (${JSON.stringify(c)})`);
    assert(await series(gw, 'router_switched_total') === 1, 'one switch counted');
    const mode = c[0].sip.streams[0].mode;
    assert(mode === (audio ? 'transcode' : 'relay'), `audio ${mode} to the mobile`);
    const offers = (gw.log().match(/INVITE tel:\+4930123 as /g) || []).length;
    assert(offers === 1, `one INVITE to the mobile (${offers})`);

    await s.hangup();
    const rx = await waitFor(() => rtpStats(mobile), 5000, 'the mobile\'s RTP statistics');
    console.log(`    the mobile received ${rx.rx} audio RTP packets from the browser`);
    assert(rx.rx > 50, `browser audio reached the mobile (${JSON.stringify(rx)})`);
    if (video) {
      const vx = await waitFor(() => rtpStats(mobile, 'video'), 5000, 'the mobile\'s video statistics');
      console.log(`    the mobile received ${vx.rx} video RTP packets from the browser`);
      assert(vx.rx > 20, `browser video reached the mobile (${JSON.stringify(vx)})`);
    }
  } finally {
    if (s) await s.close().catch(() => {});
    if (gw) await stopGateway(gw);
    for (const p of [alice, mobile]) if (p) { p.ctrl.close(); await stop(p); }
    if (k) await stopKamailio(k);
  }
}

// Chat-only to a rep whose contact is a mobile (issue 6): the lines go as
// out-of-dialog MESSAGE through the store's IMS identity (Kamailio); the
// first 2xx answers; the phone's MESSAGE to the store comes back as chat.
// A number that refuses the MESSAGE (not registered: Kamailio 404) makes
// the router try the next contact.
async function chatMobile() {
  let k; let gw; let mobile; let c;
  try {
    k = await startKamailio('routing-kamailio-chat');
    mobile = await baresip('dave-chat', k, '+4930123', 'telpw',
      { video: '', contact: 'sip:store1@ims.test' });
    gw = await routingGateway('routing-chat', [{ id: 'dave', contacts: ['tel:+4930124', 'tel:+4930123'] }],
      { k });
    c = await lib.wsClient(gw.ws);
    const next = async (pred, what, ms = 10000) => {
      const end = Date.now() + ms;
      for (;;) {
        const m = await c.next(Math.max(1, end - Date.now())).catch(() => null);
        assert(m, `no ${what} in time`);
        if (pred(m)) return m;
      }
    };
    c.send({ type: 'call', call: 'm1', to: 'rep:dave', media: 'chat', token: tok() });
    const con = await next((m) => m.call === 'm1' && ['connected', 'hangup', 'error'].includes(m.type),
      'answer of the chat-only call');
    assert(con.type === 'connected' && con.rep === 'dave', `connected to dave (${JSON.stringify(con)})`);
    assert(/trying rep dave at tel:\+4930124/.test(gw.log()) &&
      /trying rep dave at tel:\+4930123/.test(gw.log()), 'the unreachable number first, then the mobile');
    await mobile.wait(/a shopper wants to chat/, 5000, 'the opening line at the mobile');
    assert((await repOf(gw, 'dave')).state === 'busy', 'dave is busy while chatting');
    c.send({ type: 'chat', call: 'm1', text: 'any lamps left?' });
    await mobile.wait(/any lamps left\?/, 5000, 'the shopper\'s line at the mobile');
    mobile.ctrl.command('message', 'two left');
    const chat = await next((m) => m.call === 'm1' && m.type === 'chat', 'chat from the mobile', 5000);
    assert(chat.text === 'two left' && chat.from === 'dave', `chat from dave (${JSON.stringify(chat)})`);
    c.send({ type: 'hangup', call: 'm1' });
    await waitFor(async () => (await repOf(gw, 'dave')).state === 'available', 5000,
      'dave available again');
  } finally {
    if (c) c.ws.close();
    if (gw) await stopGateway(gw);
    if (mobile) { mobile.ctrl.close(); await stop(mobile); }
    if (k) await stopKamailio(k);
  }
}

module.exports = [
  { name: 'chat_mobile', fn: chatMobile, timeout: 120000 },
  { name: 'queue', fn: queue, timeout: 120000 },
  { name: 'queue_limits', fn: queueLimits, timeout: 120000 },
  { name: 'skip', fn: skip, timeout: 120000 },
  { name: 'fallthrough', fn: fallthrough, timeout: 120000 },
  { name: 'fallthrough_early', fn: fallthroughEarly, timeout: 120000 },
  { name: 'switch_mobile', fn: () => switchMobile(false), timeout: 120000 },
  { name: 'switch_mobile_video', fn: () => switchMobile(true), timeout: 120000 },
  { name: 'switch_mobile_amrwb', fn: () => switchMobile(false, 'AMR-WB/16000/1'), timeout: 120000 },
  { name: 'hub', fn: hub, timeout: 120000 },
  { name: 'dead_hub_udp', fn: () => deadHub('udp'), timeout: 120000 },
  { name: 'dead_hub_tcp', fn: () => deadHub('tcp'), timeout: 120000 },
];
