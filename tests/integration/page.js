// Runs inside Chromium: WebSocket JSON API client for the tests.
window.sg = {
  open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = { ws, msgs: [], waiters: [] };
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        c.msgs.push(m);
        c.waiters = c.waiters.filter((w) => !w(m));
      };
      ws.onopen = () => resolve(c);
      ws.onerror = () => reject(new Error('ws error'));
      ws.onclose = () => { c.closed = true; };
    });
  },
  next(c, pred, ms = 10000) {
    const found = c.msgs.find(pred);
    if (found) { c.msgs.splice(c.msgs.indexOf(found), 1); return Promise.resolve(found); }
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no message in time; got ' +
        JSON.stringify(c.msgs))), ms);
      c.waiters.push((m) => {
        if (!pred(m)) return false;
        clearTimeout(t);
        c.msgs.splice(c.msgs.indexOf(m), 1);
        resolve(m);
        return true;
      });
    });
  },
  // Place a call: returns ids; media flows into window.sg.calls[id].
  call(c, id, to, opts) { return sg.callWith(c, id, to, opts || {}); },
  async callWith(c, id, to, { video = true, audio = true, token, codecs } = {}) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    const pc = new RTCPeerConnection();
    stream.getTracks().forEach((t) => pc.addTrack(t, stream));
    // limit the browser's offer (e.g. {audio:['opus'], video:['VP8']})
    if (codecs) {
      pc.getTransceivers().forEach((tr) => {
        const kind = tr.sender.track.kind;
        if (!codecs[kind]) return;
        const all = RTCRtpSender.getCapabilities(kind).codecs;
        tr.setCodecPreferences(all.filter((cd) => codecs[kind].some((n) =>
          cd.mimeType.toLowerCase() === `${kind}/${n.toLowerCase()}`) ||
          /telephone-event/i.test(cd.mimeType)));
      });
    }
    const rec = { pc, stream, id, remote: null };
    sg.calls[id] = rec;
    pc.ontrack = (e) => {
      const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
      el.autoplay = true; el.muted = false;
      el.srcObject = new MediaStream([e.track]);
      document.body.appendChild(el);
    };
    pc.onicecandidate = (e) => {
      if (e.candidate) c.ws.send(JSON.stringify({ type: 'candidate', call: id,
        candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid }));
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    c.ws.send(JSON.stringify({ type: 'call', call: id, to, token,
      media: video ? 'video' : 'audio', sdp: pc.localDescription.sdp }));
    const ans = await sg.next(c, (m) => m.call === id &&
      (m.type === 'answer' || m.type === 'error'));
    if (ans.type === 'error') throw new Error(`call refused: ${ans.code}: ${ans.message}`);
    rec.answerSdp = ans.sdp;
    await pc.setRemoteDescription({ type: 'answer', sdp: ans.sdp });
    return rec;
  },
  async stats(id) {
    const pc = sg.calls[id].pc;
    const r = { video: { framesDecoded: 0, packetsReceived: 0 },
      audio: { packetsReceived: 0 }, state: pc.connectionState };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        r.video.framesDecoded += s.framesDecoded || 0;
        r.video.packetsReceived += s.packetsReceived || 0;
        r.video.pliCount = s.pliCount;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        r.audio.packetsReceived += s.packetsReceived || 0;
        // decoded and played: energy of what the <audio> element rendered
        r.audio.energy = (r.audio.energy || 0) + (s.totalAudioEnergy || 0);
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') r.video.pliReceived = s.pliCount;
      // from the gateway's RTCP: SR -> remote-outbound-rtp, RR -> remote-inbound-rtp
      if (s.type === 'remote-outbound-rtp') r[s.kind].srPackets = s.packetsSent;
      if (s.type === 'remote-inbound-rtp') {
        r[s.kind].rrCount = s.roundTripTimeMeasurements;
        r[s.kind].rtt = s.roundTripTime;
      }
    });
    return r;
  },
  hangup(c, id) {
    c.ws.send(JSON.stringify({ type: 'hangup', call: id }));
    const rec = sg.calls[id];
    if (rec) { rec.pc.close(); rec.stream.getTracks().forEach((t) => t.stop()); }
  },
  calls: {},
};
