'use strict';
// The live page: one tile per camera, drawn on a canvas from the server-sent "frame" events.
// Everything that comes from events is put in the page as text (textContent) or drawn on the
// canvas; nothing from an event is ever parsed as HTML.
(function () {
  const RECENT_MAX = 200;
  const COLORS = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212]];
  const tiles = new Map(); // camera id -> tile
  const camerasEl = document.getElementById('cameras');
  const recentEl = document.getElementById('recent');
  const statusEl = document.getElementById('status');

  // COCO compressed RLE counts string -> run lengths (pycocotools' rleFrString).
  function decodeCounts(s) {
    const counts = [];
    let p = 0;
    while (p < s.length) {
      let x = 0, k = 0, more = 1;
      while (more) {
        const c = s.charCodeAt(p) - 48;
        x |= (c & 0x1f) << (5 * k);
        more = c & 0x20;
        p++; k++;
        if (!more && (c & 0x10)) x |= -1 << (5 * k);
      }
      if (counts.length > 2) x += counts[counts.length - 2];
      counts.push(x);
    }
    return counts;
  }

  // Paints one mask (runs over column-major pixels, first run = zeros) into RGBA pixels.
  function paintMask(pixels, mask, width, height, rgb) {
    if (mask.w !== width || mask.h !== height) return;
    const counts = decodeCounts(mask.counts);
    let i = 0;
    for (let r = 0; r < counts.length; r++) {
      const end = i + counts[r];
      if (r % 2 === 1) {
        for (let j = i; j < end; j++) {
          const x = Math.floor(j / height), y = j - x * height;
          const o = (y * width + x) * 4;
          pixels[o] = rgb[0]; pixels[o + 1] = rgb[1]; pixels[o + 2] = rgb[2]; pixels[o + 3] = 120;
        }
      }
      i = end;
    }
  }

  // A tracked object keeps its colour from frame to frame; others are coloured by their place.
  function colorOf(d, i) {
    return COLORS[(d.trackId != null ? d.trackId - 1 : i) % COLORS.length];
  }

  function text(tag, cls, value) {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value;
    return el;
  }

  function tileFor(camera) {
    let tile = tiles.get(camera);
    if (tile) return tile;
    const root = document.createElement('div');
    root.className = 'tile';
    root.dataset.camera = camera;
    const title = text('h3', null, camera);
    const canvas = document.createElement('canvas');
    const stats = text('div', 'stats', '');
    root.append(title, canvas, stats);
    const empty = document.getElementById('empty');
    if (empty) empty.remove();
    camerasEl.append(root);
    tile = { root, canvas, stats, line: '', receivedAt: Date.now(), latest: null, drawing: false };
    tiles.set(camera, tile);
    return tile;
  }

  function draw(tile, update) {
    const img = new Image();
    img.onload = () => {
      const c = tile.canvas;
      if (c.width !== update.width || c.height !== update.height) {
        c.width = update.width; c.height = update.height;
      }
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0, c.width, c.height);
      const withMasks = update.detections.filter(d => d.mask);
      if (withMasks.length > 0) {
        const overlay = new ImageData(c.width, c.height);
        update.detections.forEach((d, i) => {
          if (d.mask) paintMask(overlay.data, d.mask, c.width, c.height, colorOf(d, i));
        });
        const off = document.createElement('canvas');
        off.width = c.width; off.height = c.height;
        off.getContext('2d').putImageData(overlay, 0, 0);
        g.drawImage(off, 0, 0); // blends: the mask is translucent over the frame
      }
      g.lineWidth = Math.max(1, c.width / 320);
      g.font = Math.max(10, Math.round(c.width / 40)) + 'px sans-serif';
      g.textBaseline = 'bottom';
      update.detections.forEach((d, i) => {
        const rgb = colorOf(d, i);
        const [x1, y1, x2, y2] = d.box;
        g.strokeStyle = 'rgb(' + rgb.join(',') + ')';
        g.strokeRect(x1, y1, x2 - x1, y2 - y1);
        const caption = (d.trackId != null ? '#' + d.trackId + ' ' : '') + d.label + ' ' +
          d.score.toFixed(2);
        const w = g.measureText(caption).width + 4;
        const h = parseInt(g.font, 10) + 2;
        const ty = y1 - h >= 0 ? y1 : y1 + h;
        g.fillStyle = 'rgba(0,0,0,0.6)';
        g.fillRect(x1, ty - h, w, h);
        g.fillStyle = 'rgb(' + rgb.join(',') + ')';
        g.fillText(caption, x1 + 2, ty);
      });
      tile.root.dataset.sequence = String(update.sequence);
      tile.root.dataset.detections = String(update.detections.length);
      finish(tile);
    };
    img.onerror = () => finish(tile);
    img.src = update.image;
  }

  // One image decode at a time per tile; while it runs, only the newest update is kept.
  function finish(tile) {
    tile.drawing = false;
    if (tile.latest) {
      const next = tile.latest;
      tile.latest = null;
      tile.drawing = true;
      draw(tile, next);
    }
  }

  function seconds(ms) {
    return (ms / 1000).toFixed(1) + ' s';
  }

  // What the tile says about its frame: the camera's rate, then either how far behind the newest
  // frame the shown detections are, or why the frame is shown without them.
  function statsLine(u) {
    const parts = [];
    parts.push(u.fps != null ? u.fps.toFixed(1) + ' fps' : '- fps');
    if (u.detected) {
      parts.push('detections ' + seconds(u.lagMs) + ' behind'
        + (u.detectedFps != null ? ' at ' + u.detectedFps.toFixed(1) + ' fps' : ''));
      if (u.latencyMs != null) parts.push(Math.round(u.latencyMs) + ' ms capture-to-event');
    } else if (u.fallback === 'frames-not-kept') {
      parts.push('detections ' + seconds(u.lagMs) + ' behind, older than the frames kept');
    } else if (u.fallback === 'events-stopped') {
      parts.push('no detections for ' + Math.round(u.eventsAgoMs / 1000) + ' s');
    } else {
      parts.push('no detections yet');
    }
    if (u.model) parts.push('model ' + u.model.name + ' ' + u.model.version);
    parts.push('#' + u.sequence);
    return parts.join(' · ');
  }

  // A tile whose camera sent nothing for a while says since when, by this browser's clock.
  function showAges() {
    const now = Date.now();
    for (const tile of tiles.values()) {
      const age = Math.floor((now - tile.receivedAt) / 1000);
      tile.stats.textContent = tile.line + (age >= 3 ? ' · updated ' + age + ' s ago' : '');
    }
  }

  function addRecent(u) {
    const time = new Date(u.captureTime).toLocaleTimeString();
    for (const d of u.detections) {
      const li = document.createElement('li');
      li.append(text('span', 'time', time), text('span', 'cam', u.camera),
        text('span', 'label', d.label), text('span', 'score', d.score.toFixed(2)));
      recentEl.prepend(li);
    }
    while (recentEl.childElementCount > RECENT_MAX) recentEl.lastElementChild.remove();
  }

  function onFrame(event) {
    const u = JSON.parse(event.data);
    const tile = tileFor(u.camera);
    tile.line = statsLine(u);
    tile.receivedAt = Date.now();
    tile.stats.textContent = tile.line;
    tile.stats.classList.toggle('bare', !u.detected);
    if (u.detected) addRecent(u);
    if (tile.drawing) {
      tile.latest = u;
    } else {
      tile.drawing = true;
      draw(tile, u);
    }
  }

  setInterval(showAges, 1000);
  const source = new EventSource('/events');
  source.addEventListener('frame', onFrame);
  source.onopen = () => { statusEl.textContent = 'live'; statusEl.className = 'status live'; };
  source.onerror = () => { statusEl.textContent = 'reconnecting'; statusEl.className = 'status'; };
})();
