// Browsers speak Opus and VP8, ViLTE/VoLTE phones AMR-WB, AMR, G.711 and
// H.264: the gateway transcodes where they share nothing. Headless
// Chromium limited to Opus + VP8 calls baresip limited to each phone
// profile through Kamailio; media is counted at both ends and the admin
// API must say "transcode", and where the pipelines ran: on a media
// worker thread (media.workers > 0) or inline on the main loop (0).
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor } = lib;
const { startKamailio, stopKamailio, baresip, stop, token, imsGateway } =
  require('./peers');


// baresip prints each stream's RTP statistics as the call ends, audio
// first and video later (after its encoder is closed: milliseconds, more
// on a loaded machine). Wait for every block asked for, up to its errors
// line, or a video block not yet written reads as 0 packets.
function rtpStats(phone, kinds) {
  const st = {};
  for (const kind of kinds) {
    const m = new RegExp(`${kind}\\s+Transmit:\\s+Receive:\\s*\\npackets:\\s+\\d+\\s+(\\d+)` +
      '[^]*?\\nerrors:\\s+\\d+\\s+(\\d+)').exec(phone.out);
    if (!m) return null;
    st[kind] = Number(m[1]);
    st[`${kind}Errors`] = Number(m[2]);
  }
  return st;
}

async function transcodeCall(name, phoneCodecs, { video, expect, workers }) {
  const k = await startKamailio(`kam-${name}`);
  let phone; let gw; let pg;
  try {
    phone = await baresip(`phone-${name}`, k, '+4930123', 'telpw', phoneCodecs);
    gw = await imsGateway(name, k, { rtpBase: 33000, media: { workers } });
    pg = await newPage(gw);
    const { page } = pg;
    await page.evaluate(async ([ws, tok, v]) => {
      window.c1 = await sg.open(ws);
      await sg.callWith(window.c1, 't1', '030123', { token: tok, video: v,
        codecs: { audio: ['opus'], video: ['VP8'] } });
      await sg.next(window.c1, (m) => m.type === 'connected', 15000);
    }, [gw.ws, token(), video]);
    const offer = await page.evaluate(() => sg.calls.t1.pc.localDescription.sdp);
    assert(!/H264|PCMU|AMR/.test(offer), 'the browser offered only Opus (and VP8)');

    const st = await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('t1'));
      return s.audio.packetsReceived > 150 && (!video || s.video.framesDecoded > 40) ? s : null;
    }, 25000, 'transcoded media decoded in the browser');
    console.log(`    ${name}: browser decoded ${st.video.framesDecoded} frames, ` +
      `${st.audio.packetsReceived} audio packets (energy ${st.audio.energy.toFixed(3)})`);
    assert(st.audio.energy > 0.01, 'the phone\'s tone is heard in the browser, not silence');

    // the gateway's counters, read until both ways have encoded enough:
    // one snapshot raced the browser's sender on a loaded machine
    const streamsNow = async () =>
      JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/calls`)).text).calls[0].sip.streams;
    const enough = (x) => x && x.transcode && x.transcode.to_phone_frames > 50 &&
      x.transcode.to_browser_frames > 20;
    let streams = await streamsNow();
    for (const t0 = Date.now(); !expect.every((c, i) => enough(streams[i])) &&
      Date.now() - t0 < 5000; streams = await streamsNow()) await lib.sleep(100);
    for (const [i, codec] of expect.entries()) {
      assert(streams[i] && streams[i].mode === 'transcode' && streams[i].codec === codec,
        `stream ${i} transcoded to ${codec} (${JSON.stringify(streams[i])})`);
      assert(enough(streams[i]), `frames encoded both ways (${JSON.stringify(streams[i].transcode)})`);
      const x = streams[i].transcode;
      if (workers) {
        assert(x.worker >= 0 && x.worker < workers && x.ring_drops_in === 0,
          `pipelines on a worker thread, nothing dropped (${JSON.stringify(x)})`);
      } else {
        assert(x.worker === -1, `pipelines inline (${JSON.stringify(x)})`);
      }
    }

    // DTMF into a transcoded stream: regenerated as RFC 4733 at the phone
    await page.evaluate(() => window.c1.ws.send(JSON.stringify(
      { type: 'dtmf', call: 't1', digits: '5' })));
    await waitFor(() => phone.ctrl.events.find((e) => e.type === 'CALL_DTMF_START' &&
      e.param === '5'), 5000, 'DTMF 5 at the phone');

    await page.evaluate(() => sg.hangup(window.c1, 't1'));
    await phone.wait(/terminated/, 5000, 'BYE at the phone');
    const rx = await waitFor(() => rtpStats(phone, video ? ['audio', 'video'] : ['audio']),
      5000, 'phone RTP statistics');
    console.log(`    ${name}: phone decoded ${rx.audio} audio (${rx.audioErrors} errors)` +
      (video ? ` and ${rx.video} video (${rx.videoErrors} errors) packets` : ''));
    assert(rx.audio > 150 && rx.audioErrors === 0, `audio reached the phone (${JSON.stringify(rx)})`);
    if (video) assert(rx.video > 40, `video reached the phone (${JSON.stringify(rx)})`);
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (phone) { phone.ctrl.close(); await stop(phone); }
    await stopKamailio(k);
  }
}

module.exports = [
  { name: 'amrwb_h264', timeout: 90000, fn: () => transcodeCall('amrwb-h264',
    { audio: 'AMR-WB/16000/1', video: 'H264' },
    { video: true, expect: ['AMR-WB', 'H264'], workers: 2 }) },
  { name: 'amrwb_h264_inline', timeout: 90000, fn: () => transcodeCall('amrwb-h264-in',
    { audio: 'AMR-WB/16000/1', video: 'H264' },
    { video: true, expect: ['AMR-WB', 'H264'], workers: 0 }) },
  { name: 'amrnb_only', timeout: 90000, fn: () => transcodeCall('amrnb',
    { audio: 'AMR/8000/1', video: '' }, { video: false, expect: ['AMR'], workers: 1 }) },
  { name: 'pcmu_only', timeout: 90000, fn: () => transcodeCall('pcmu',
    { audio: 'PCMU/8000/1', video: '' }, { video: false, expect: ['PCMU'], workers: 2 }) },
];
