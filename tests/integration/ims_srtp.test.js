// SDES-SRTP (RFC 4568, TS 33.328 e2ae) toward the IMS side: headless
// Chromium -> storegw (sip.srtp = "mandatory") -> Kamailio -> baresip with
// mediaenc=srtp-mand (RTP/SAVP only). Media must flow both ways encrypted.
'use strict';
const lib = require('./lib');
const { stopGateway, newPage, assert, waitFor } = lib;
const { startKamailio, stopKamailio, baresip, stop, token, imsGateway } =
  require('./peers');

const gateway = (name, k, srtp, backend = 'libre') => imsGateway(name, k,
  { sip: { srtp }, media: { srtp_backend: backend }, rtpBase: 33000 });

// baresip prints RTP statistics when a call ends (rtp_stats yes):
// packets and errors, transmit then receive, per medium.
function rtpStats(phone) {
  const one = (kind) => {
    const m = new RegExp(`${kind}\\s+Transmit:\\s+Receive:\\s*\\npackets:\\s+(\\d+)\\s+(\\d+)` +
      '[^]*?\\nerrors:\\s+(\\d+)\\s+(\\d+)').exec(phone.out);
    return m && { rx: Number(m[2]), rxErrors: Number(m[4]) };
  };
  const a = one('audio'); const v = one('video');
  return a && v ? { audio: a, video: v } : null;
}

async function sipStreams(gw) {
  const { calls } = JSON.parse((await lib.httpGet(`${gw.url}/api/v1/admin/calls`)).text);
  const c = calls.find((x) => x.sip);
  return c ? c.sip.streams : null;
}

async function browserToPhoneSrtp(backend) {
  const k = await startKamailio(`kam-srtp-${backend}`);
  let phone; let gw; let pg;
  try {
    phone = await baresip(`phone-srtp-${backend}`, k, '+4930123', 'telpw',
      { contact: 'sip:store1@ims.test', mediaenc: 'srtp-mand' });
    gw = await gateway(`ims-srtp-${backend}`, k, 'mandatory', backend);
    pg = await newPage(gw);
    const { page } = pg;
    await page.evaluate(async ([ws, tok]) => {
      window.c1 = await sg.open(ws);
      await sg.callWith(window.c1, 's1', '030123', { token: tok });
      await sg.next(window.c1, (m) => m.type === 'connected', 15000);
    }, [gw.ws, token()]);
    const st = await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('s1'));
      return s.video.framesDecoded > 50 && s.audio.packetsReceived > 150 ? s : null;
    }, 20000, 'video frames and audio from the SRTP phone in the browser');
    console.log(`    browser: ${st.video.framesDecoded} frames decoded, ` +
      `${st.audio.packetsReceived} audio packets from the phone`);

    // the IMS legs run SRTP: every packet from the phone authenticated
    // (plain or wrongly keyed RTP would count in drop_srtp, not rx_pkts)
    const streams = await sipStreams(gw);
    assert(streams && streams.length === 2, `two IMS streams (${JSON.stringify(streams)})`);
    for (const s of streams) {
      assert(s.active && s.srtp === true && s.drop_srtp === 0 && s.rx_pkts > 50 &&
        s.tx_pkts > 50, `m-line ${s.mline}: SRTP both ways, no SRTP drops ` +
        `(${JSON.stringify(s)})`);
    }
    assert(/m-line 0: relay .* \(SDES-SRTP\)/.test(gw.log()), 'SRTP in the gateway log');

    await page.evaluate(() => sg.hangup(window.c1, 's1'));
    await phone.wait(/Call with sip:store1@ims\.test terminated/, 5000, 'BYE at the phone');
    const rx = await waitFor(() => rtpStats(phone), 5000, 'the phone\'s RTP statistics');
    console.log(`    phone received ${rx.audio.rx} audio and ${rx.video.rx} video ` +
      `SRTP packets, ${rx.audio.rxErrors + rx.video.rxErrors} errors`);
    assert(rx.audio.rx > 150 && rx.video.rx > 50 && rx.audio.rxErrors === 0 &&
      rx.video.rxErrors === 0, `SRTP reached the phone (${JSON.stringify(rx)})`);
    assert(!/srtp.*(fail|error)/i.test(phone.out + phone.err),
      'the phone decrypted everything');
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'call freed');

    // keys are secrets: no a=crypto key in the gateway's log
    assert(!/inline:/.test(gw.log()), 'no SRTP key in the log');
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (phone) { phone.ctrl.close(); await stop(phone); }
    await stopKamailio(k);
  }
}

// Both sides refuse a call that would not be encrypted as configured: a
// plain-RTP gateway toward an SRTP-only phone, and an SRTP-mandatory
// gateway toward a phone without SRTP.
async function mismatch() {
  const k = await startKamailio('kam-srtp-mm');
  let phone; let gw; let pg;
  const attempt = async (srtp, mediaenc, what) => {
    phone = await baresip(`phone-${srtp}`, k, '+4930123', 'telpw',
      { contact: 'sip:store1@ims.test', mediaenc });
    gw = await gateway(`ims-srtp-${srtp}`, k, srtp);
    pg = await newPage(gw);
    const h = await pg.page.evaluate(async ([ws, tok]) => {
      const c = await sg.open(ws);
      sg.callWith(c, 'm1', '030123', { token: tok }).catch(() => {});
      return sg.next(c, (m) => m.type === 'hangup' || m.type === 'connected', 15000);
    }, [gw.ws, token()]);
    assert(h.type === 'hangup' && h.reason === 'media-mismatch',
      `${what}: media-mismatch (${JSON.stringify(h)})`);
    await waitFor(async () => (await lib.metrics(gw)).calls_active === 0, 5000, 'call freed');
    await pg.close(); pg = null;
    await stopGateway(gw); gw = null;
    phone.ctrl.close(); await stop(phone); phone = null;
  };
  try {
    await attempt('off', 'srtp-mand', 'plain RTP/AVP offer to an SRTP-only phone');
    await attempt('mandatory', '', 'RTP/SAVP offer to a phone without SRTP');
  } finally {
    if (pg) await pg.close();
    if (gw) await stopGateway(gw);
    if (phone) { phone.ctrl.close(); await stop(phone); }
    await stopKamailio(k);
  }
}

module.exports = [
  // the IMS-side SRTP contexts use media.srtp_backend: both backends
  { name: 'browser_to_phone_srtp', fn: () => browserToPhoneSrtp('libre'), timeout: 90000 },
  { name: 'browser_to_phone_srtp_libsrtp2', fn: () => browserToPhoneSrtp('libsrtp2'),
    timeout: 90000 },
  { name: 'mismatch', fn: mismatch, timeout: 120000 },
];
