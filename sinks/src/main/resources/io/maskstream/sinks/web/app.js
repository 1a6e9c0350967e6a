'use strict';
// The live page: one tile per camera, drawn on a canvas from the server-sent "frame" events,
// with the camera's zones and lines and their counts from the "zones" events under the masks,
// and the cameras panel from the "cameras" events: every defined camera and how it is doing, as
// the server judged it (it sends the panel again when a camera turns stale).
// Everything that comes from events is put in the page as text (textContent) or drawn on the
// canvas; nothing from an event is ever parsed as HTML.
(function () {
  const RECENT_MAX = 200;
  const FLASH_MS = 1500; // how long a changed count stands out
  const COLORS = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212]];
  // zones and lines: colours apart from the brightest track colours, cycling by place
  const ZONE_COLORS = [[0, 200, 255], [255, 170, 0], [190, 140, 255], [0, 230, 150],
    [255, 110, 180]];
  const ARROWS = ['→', '↘', '↓', '↙', '←', '↖', '↑', '↗']; // by screen angle, y down
  const tiles = new Map(); // camera id -> tile
  const zonesOf = new Map(); // camera id -> {zones, lines, flashUntil: Map(name -> time)}
  const camerasEl = document.getElementById('cameras');
  const recentEl = document.getElementById('recent');
  const statusEl = document.getElementById('status');
  const panelEl = document.getElementById('camera-panel');
  const panelRowsEl = document.getElementById('camera-rows');
  const panelCountsEl = document.getElementById('camera-counts');
  const panelMoreEl = document.getElementById('camera-more');

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
    tile = { camera, root, canvas, stats, line: '', receivedAt: Date.now(), latest: null,
      drawing: false, img: null, frame: null };
    tiles.set(camera, tile);
    return tile;
  }

  function rgba(rgb, a) {
    return 'rgba(' + rgb.join(',') + ',' + a + ')';
  }

  function scaled(p, relative, w, h) {
    return relative ? [p[0] * w, p[1] * h] : [p[0], p[1]];
  }

  // "dock · 2 person, 1 car", or "dock · empty".
  function zoneCounts(zone) {
    const counts = zone.occupancy.filter(n => n.count > 0)
      .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : 1));
    return counts.length === 0 ? 'empty' : counts.map(n => n.count + ' ' + n.label).join(', ');
  }

  // The screen direction of a line's "in" crossings: from the left-hand to the right-hand side
  // of someone facing from its start to its end as the image shows it (y grows downwards).
  function inDirection(a, b) {
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len = Math.hypot(dx, dy) || 1;
    return [-dy / len, dx / len];
  }

  function arrowOf(v) {
    const k = Math.round(Math.atan2(v[1], v[0]) / (Math.PI / 4));
    return ARROWS[((k % 8) + 8) % 8];
  }

  // "gate ↓12 in · ↑3 out": crossings of all classes per direction, arrows as drawn.
  function lineCounts(line, v) {
    let ins = 0, outs = 0;
    for (const n of line.crossings) {
      if (n.direction === line.inName) ins += n.count;
      else if (n.direction === line.outName) outs += n.count;
    }
    return arrowOf(v) + ins + ' ' + line.inName + ' · ' + arrowOf([-v[0], -v[1]]) + outs + ' ' +
      line.outName;
  }

  // A label on a dark plate, or on the zone's colour while its counts just changed; kept inside
  // the frame.
  function label(g, text, x, y, size, rgb, flash, w, h) {
    const tw = g.measureText(text).width + 8, th = size + 6;
    const lx = Math.min(Math.max(0, x), Math.max(0, w - tw));
    const ly = Math.min(Math.max(th, y), h);
    g.fillStyle = flash ? rgba(rgb, 0.95) : 'rgba(0,0,0,0.7)';
    g.fillRect(lx, ly - th, tw, th);
    g.fillStyle = flash ? '#000' : 'rgb(' + rgb.join(',') + ')';
    g.fillText(text, lx + 4, ly - 3);
  }

  // Zones as translucent polygons, lines as thick segments with an arrow pointing the "in" way,
  // each with its counts; returns the labels drawn.
  function drawZones(g, camera, w, h) {
    const z = zonesOf.get(camera);
    if (!z) return [];
    const now = Date.now();
    const unit = Math.max(1, w / 320);
    const size = Math.max(11, Math.round(w / 40));
    g.font = 'bold ' + size + 'px sans-serif';
    g.textBaseline = 'alphabetic';
    g.lineJoin = 'round';
    const labels = [];
    z.zones.forEach((zone, i) => {
      const rgb = ZONE_COLORS[i % ZONE_COLORS.length];
      const pts = zone.polygon.map(p => scaled(p, zone.relative, w, h));
      if (pts.length < 3) return;
      g.beginPath();
      g.moveTo(pts[0][0], pts[0][1]);
      for (const p of pts.slice(1)) g.lineTo(p[0], p[1]);
      g.closePath();
      g.fillStyle = rgba(rgb, 0.2);
      g.fill();
      g.lineWidth = 1.5 * unit;
      g.strokeStyle = rgba(rgb, 0.9);
      g.stroke();
      const x = Math.min(...pts.map(p => p[0])), y = Math.min(...pts.map(p => p[1]));
      const text = zone.name + ' · ' + zoneCounts(zone);
      labels.push({ text, x: x + 2 * unit, y: y + size + 6 + 2 * unit, rgb,
        flash: (z.flashUntil.get('zone:' + zone.name) || 0) > now });
    });
    z.lines.forEach((line, i) => {
      const rgb = ZONE_COLORS[(z.zones.length + i) % ZONE_COLORS.length];
      const a = scaled(line.start, line.relative, w, h), b = scaled(line.end, line.relative, w, h);
      g.lineCap = 'round';
      g.beginPath();
      g.moveTo(a[0], a[1]);
      g.lineTo(b[0], b[1]);
      g.strokeStyle = 'rgba(0,0,0,0.5)';
      g.lineWidth = 5 * unit;
      g.stroke();
      g.strokeStyle = rgba(rgb, 0.95);
      g.lineWidth = 3 * unit;
      g.stroke();
      // the arrow: from the middle of the line towards the side "in" crossings go to
      const v = inDirection(a, b);
      const m = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      const len = 12 * unit, head = 5 * unit;
      const tip = [m[0] + v[0] * len, m[1] + v[1] * len];
      g.lineWidth = 2 * unit;
      g.beginPath();
      g.moveTo(m[0], m[1]);
      g.lineTo(tip[0], tip[1]);
      g.stroke();
      g.beginPath();
      g.moveTo(tip[0] + v[0] * head, tip[1] + v[1] * head);
      g.lineTo(tip[0] - v[1] * head, tip[1] + v[0] * head);
      g.lineTo(tip[0] + v[1] * head, tip[1] - v[0] * head);
      g.closePath();
      g.fillStyle = rgba(rgb, 0.95);
      g.fill();
      g.lineCap = 'butt';
      // the label on the other side, its centre clear of the line
      const text = line.name + ' ' + lineCounts(line, v);
      const tw = g.measureText(text).width + 8, th = size + 6;
      const off = 4 * unit + Math.abs(v[0]) * tw / 2 + Math.abs(v[1]) * th / 2;
      const cx = m[0] - v[0] * off, cy = m[1] - v[1] * off;
      labels.push({ text, x: cx - tw / 2, y: cy + th / 2, rgb,
        flash: (z.flashUntil.get('line:' + line.name) || 0) > now });
    });
    for (const l of labels) label(g, l.text, l.x, l.y, size, l.rgb, l.flash, w, h);
    return labels.map(l => l.text);
  }

  function draw(tile, update) {
    const img = new Image();
    img.onload = () => {
      tile.img = img;
      tile.frame = update;
      render(tile);
      tile.root.dataset.sequence = String(update.sequence);
      tile.root.dataset.detections = String(update.detections.length);
      finish(tile);
    };
    img.onerror = () => finish(tile);
    img.src = update.image;
  }

  // Draws the tile's frame: the image, its zones and lines, masks, boxes, captions and keypoints.
  function render(tile) {
    const update = tile.frame, img = tile.img;
    if (!update) return;
    const c = tile.canvas;
    if (c.width !== update.width || c.height !== update.height) {
      c.width = update.width; c.height = update.height;
    }
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0, c.width, c.height);
    const zoneLabels = drawZones(g, tile.camera, c.width, c.height);
    tile.root.dataset.zones = zoneLabels.join('\n');
    c.setAttribute('aria-label', zoneLabels.length ? zoneLabels.join('; ') : tile.camera);
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
      if (d.keypoints) drawKeypoints(g, d.keypoints, update.skeleton || [], rgb, c.width);
    });
  }

  // A detection's keypoints (flat x, y, score) as dots, joined by its skeleton's lines (pairs of
  // 1-based keypoint numbers, COCO's convention).
  function drawKeypoints(g, k, skeleton, rgb, width) {
    const r = Math.max(2, width / 200);
    g.save();
    g.lineWidth = Math.max(1.5, width / 240);
    g.strokeStyle = 'rgb(' + rgb.join(',') + ')';
    skeleton.forEach(([a, b]) => {
      const i = 3 * (a - 1), j = 3 * (b - 1);
      if (j + 1 >= k.length || i + 1 >= k.length) return;
      g.beginPath();
      g.moveTo(k[i], k[i + 1]);
      g.lineTo(k[j], k[j + 1]);
      g.stroke();
    });
    g.fillStyle = 'rgb(255,255,255)';
    g.strokeStyle = 'rgb(0,0,0)';
    g.lineWidth = 1;
    for (let i = 0; i + 1 < k.length; i += 3) {
      g.beginPath();
      g.arc(k[i], k[i + 1], r, 0, 2 * Math.PI);
      g.fill();
      g.stroke();
    }
    g.restore();
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

  // What a zone's or line's counts say, to notice a change.
  function countsKey(list) {
    return list.map(n => (n.direction || '') + '/' + n.label + '=' + n.count).sort().join(',');
  }

  // A camera's zones and lines with their latest counts; counts that changed stand out a moment.
  function onZones(event) {
    const u = JSON.parse(event.data);
    const before = zonesOf.get(u.camera);
    const flashUntil = new Map();
    const now = Date.now();
    const previous = new Map();
    if (before) {
      before.zones.forEach(z => previous.set('zone:' + z.name, countsKey(z.occupancy)));
      before.lines.forEach(l => previous.set('line:' + l.name, countsKey(l.crossings)));
      before.flashUntil.forEach((t, k) => { if (t > now) flashUntil.set(k, t); });
    }
    const check = (key, counts) => {
      if (previous.has(key) && previous.get(key) !== countsKey(counts)) {
        flashUntil.set(key, now + FLASH_MS);
      }
    };
    u.zones.forEach(z => check('zone:' + z.name, z.occupancy));
    u.lines.forEach(l => check('line:' + l.name, l.crossings));
    if (u.zones.length === 0 && u.lines.length === 0) {
      zonesOf.delete(u.camera);
    } else {
      zonesOf.set(u.camera, { zones: u.zones, lines: u.lines, flashUntil });
    }
    const tile = tiles.get(u.camera);
    if (tile && tile.img) {
      render(tile);
      if (flashUntil.size > 0) {
        clearTimeout(tile.unflash);
        tile.unflash = setTimeout(() => render(tile), FLASH_MS + 50);
      }
    }
  }

  // A time of day, with the date when it is not today (by this browser's clock).
  function timeOf(ms) {
    const t = new Date(ms);
    return t.toDateString() === new Date().toDateString() ? t.toLocaleTimeString()
      : t.toLocaleString();
  }

  function cell(cls, value) {
    return text('td', cls, value == null ? '–' : String(value));
  }

  // One camera of the panel: id and labels, condition, rate, last frame, reconnects, owner, and
  // what explains a condition that needs attention, above the camera's URL (passwords masked).
  function cameraRow(c) {
    const tr = document.createElement('tr');
    tr.className = 'cond-' + c.condition.replace(/ /g, '-') + (c.alarming ? ' alarming' : '');
    tr.dataset.camera = c.camera;
    tr.dataset.condition = c.condition;
    const name = document.createElement('td');
    name.append(text('div', 'name', c.camera));
    const labels = Object.keys(c.labels).map(k => k + '=' + c.labels[k]).join(' ');
    if (labels) name.append(text('div', 'labels', labels));
    const condition = document.createElement('td');
    condition.append(text('span', 'badge', c.condition));
    const details = document.createElement('td');
    details.className = 'details';
    if (c.alarming) details.append(text('div', 'summary', c.summary));
    details.append(text('div', 'url', c.defined ? c.url : 'not defined: run by ingest --camera or --config'));
    tr.append(name, condition, cell('num fps', c.fps != null ? c.fps.toFixed(1) : null),
      cell('num last-frame', c.lastFrameTime != null ? timeOf(c.lastFrameTime) : null),
      cell('num reconnects', c.reconnects), cell('owner', c.owner), details);
    return tr;
  }

  // The whole panel, as the server sent it last; hidden while it lists no camera.
  function onCameras(event) {
    const u = JSON.parse(event.data);
    panelEl.hidden = u.cameras.length === 0;
    panelCountsEl.textContent = u.total + (u.total === 1 ? ' camera' : ' cameras') +
      (u.alarming > 0 ? ' · ' + u.alarming + ' need attention' : '');
    panelRowsEl.replaceChildren(...u.cameras.map(cameraRow));
    panelMoreEl.textContent = u.total > u.cameras.length
      ? (u.total - u.cameras.length) + ' more not listed' : '';
  }

  setInterval(showAges, 1000);
  const source = new EventSource('/events');
  source.addEventListener('frame', onFrame);
  source.addEventListener('zones', onZones);
  source.addEventListener('cameras', onCameras);
  source.onopen = () => { statusEl.textContent = 'live'; statusEl.className = 'status live'; };
  source.onerror = () => { statusEl.textContent = 'reconnecting'; statusEl.className = 'status'; };
})();
