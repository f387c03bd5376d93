// A real WebRTC call from headless Chromium to the "echo" target.
'use strict';
const { startGateway, stopGateway, newPage, metrics, assert, waitFor } = require('./lib');

async function echoCall(backend) {
  const gw = await startGateway(`echo-${backend}`, { media: { srtp_backend: backend } });
  const { page, close } = await newPage(gw);
  try {
    await page.evaluate(async (ws) => {
      window.c1 = await sg.open(ws);
      await sg.call(window.c1, 'e1', 'echo');
    }, gw.ws);
    // connected comes when DTLS-SRTP is up
    await page.evaluate(() => sg.next(window.c1, (m) => m.type === 'connected'));
    const t0 = Date.now();
    const st = await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('e1'));
      return s.video.framesDecoded > 100 && s.audio.packetsReceived > 200 ? s : null;
    }, 20000, 'decoded video frames > 100 and audio packets > 200');
    console.log(`    ${backend}: ${st.video.framesDecoded} frames decoded, ` +
      `${st.audio.packetsReceived} audio packets in ${Date.now() - t0} ms; ` +
      `browser got ${st.video.pliReceived} PLI`);
    assert(st.video.pliReceived >= 1, 'the gateway asked the browser for a keyframe (PLI)');
    // Chromium parsed our RTCP: SRs (remote-outbound-rtp) and RRs whose
    // LSR/DLSR gave it a round-trip time (remote-inbound-rtp)
    const rt = await waitFor(async () => {
      const s = await page.evaluate(() => sg.stats('e1'));
      return s.audio.srPackets > 0 && s.video.srPackets > 0 &&
        s.audio.rrCount > 0 && s.video.rrCount > 0 ? s : null;
    }, 10000, 'RTCP SR and RR from the gateway seen by Chromium');
    console.log(`    RTCP: SR says ${rt.audio.srPackets} audio / ${rt.video.srPackets} video ` +
      `packets sent; RTT from our RRs ${rt.audio.rtt}s audio, ${rt.video.rtt}s video`);
    let m = await metrics(gw);
    assert(m.calls_active === 1, `one call active (got ${m.calls_active})`);

    // hang up: the gateway frees the call
    await page.evaluate(() => sg.hangup(window.c1, 'e1'));
    const h = await page.evaluate(() => sg.next(window.c1, (x) => x.type === 'hangup'));
    assert(h.reason === 'normal', `hangup reason normal (got ${h.reason})`);
    m = await waitFor(async () => {
      const mm = await metrics(gw);
      return mm.calls_active === 0 ? mm : null;
    }, 5000, 'calls_active 0');
    assert(m.calls_ended_total === 1, 'calls_ended_total 1');
    assert(m.rtp_rx_packets_total > 300, `media counted (${m.rtp_rx_packets_total} rx)`);
    assert(m.rtp_tx_packets_total > 300, `media counted (${m.rtp_tx_packets_total} tx)`);
    assert(m.srtp_drops_total === 0, `no SRTP drops (${m.srtp_drops_total})`);
    assert(/call freed/.test(gw.log()), 'log says the call was freed');
  } finally {
    await close();
    const r = await stopGateway(gw);
    assert(r.code === 0, `storegw exit code 0 on SIGTERM (got ${r.code}/${r.sig})`);
  }
}

module.exports = [
  { name: 'echo_libre_srtp', fn: () => echoCall('libre'), timeout: 60000 },
  { name: 'echo_libsrtp2', fn: () => echoCall('libsrtp2'), timeout: 60000 },
];
