// Beamline job page: polls the JSON API once a second and feeds uPlot charts. No framework, no
// network access beyond this server; uPlot comes from its webjar.
(function () {
  'use strict';
  const MAX_POINTS = 600;
  const PHASES = ['planOffsets', 'offsetLog', 'process', 'stateSnapshot', 'commit'];
  const PHASE_COLORS = ['#90a4ae', '#ffb74d', '#42a5f5', '#ab47bc', '#66bb6a'];
  const state = { lastSeq: 0, points: [], plots: {}, planDrawn: false, hasLatency: false };
  window.beamlineUi = state; // for the browser test and for curious users

  const $ = (id) => document.getElementById(id);
  const fmt = (v, d = 0) => v == null || isNaN(v) ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d });
  const bytes = (v) => v == null || v < 0 ? '–' : v < 1024 ? v + ' B' : v < 1048576 ? fmt(v / 1024, 1) + ' KiB' : fmt(v / 1048576, 1) + ' MiB';
  const compact = (v) => v == null ? '' : Math.abs(v) >= 10000 ? Number(v).toLocaleString('en-US', { notation: 'compact', maximumFractionDigits: 1 }) : fmt(v, 2);
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

  async function get(path) {
    const r = await fetch(path, { cache: 'no-store' });
    if (!r.ok) throw new Error(path + ': ' + r.status);
    return r.json();
  }

  function plot(id, series, extra) {
    const el = $(id);
    const opts = Object.assign({
      width: Math.max(320, el.clientWidth || 500), height: 200,
      series: [{}].concat(series),
      axes: [{}, { size: 60, values: (u, vs) => vs.map(compact) }],
      scales: { x: { time: true } },
      legend: { live: true },
    }, extra || {});
    const data = [[]].concat(series.map(() => []));
    state.plots[id] = new uPlot(opts, data, el);
  }

  function setupPlots() {
    plot('plot-rows', [
      { label: 'input rows/s', stroke: '#ef6c00', width: 2 },
      { label: 'processed rows/s', stroke: '#1565c0', width: 2 },
    ]);
    // Stacked phases: each series is the sum up to its phase, drawn from the largest down so every
    // band shows; the legend shows the phase's own value.
    const stacked = PHASES.slice().reverse().map((phase) => {
      const i = PHASES.indexOf(phase);
      return {
        label: phase, stroke: PHASE_COLORS[i], fill: PHASE_COLORS[i] + 'cc',
        value: (u, v, si, idx) => idx == null ? '–' : fmt(state.points[idx] && state.points[idx].durationMs[phase]),
      };
    });
    plot('plot-phases', stacked);
    plot('plot-ratio', [
      { label: 'processing ratio', stroke: '#6a1b9a', width: 2 },
      { label: 'alert threshold', stroke: '#c62828', dash: [5, 5] },
    ]);
    plot('plot-latency', [
      { label: 'p50 ms', stroke: '#2e7d32', width: 2 },
      { label: 'p99 ms', stroke: '#c62828', width: 2 },
    ]);
    plot('plot-lag', [{ label: 'watermark lag s', stroke: '#00838f', width: 2 }]);
    plot('plot-state', [
      { label: 'state rows (cells)', stroke: '#5d4037', width: 2, scale: 'rows' },
      { label: 'state bytes', stroke: '#f9a825', width: 2, scale: 'bytes', value: (u, v) => bytes(v) },
    ], { axes: [{}, { scale: 'rows', size: 60, values: (u, vs) => vs.map(compact) }, { scale: 'bytes', side: 1, size: 70, values: (u, vs) => vs.map(bytes) }] });
    plot('plot-backlog', [
      { label: 'backlog bytes', stroke: '#d84315', width: 2, scale: 'bytes', value: (u, v) => bytes(v) },
      { label: 'backlog rows', stroke: '#37474f', width: 2, scale: 'rows' },
    ], { axes: [{}, { scale: 'bytes', size: 70, values: (u, vs) => vs.map(bytes) }, { scale: 'rows', side: 1, size: 60, values: (u, vs) => vs.map(compact) }] });
  }

  function redraw() {
    const pts = state.points;
    const x = pts.map((p) => Date.parse(p.timestamp) / 1000);
    const col = (f) => pts.map(f);
    const threshold = state.job && state.job.thresholds ? state.job.thresholds.processingRatio : null;
    state.plots['plot-rows'].setData([x, col((p) => p.inputRowsPerSecond), col((p) => p.processedRowsPerSecond)]);
    const sums = PHASES.map((_, i) => col((p) => PHASES.slice(0, i + 1).reduce((s, ph) => s + (p.durationMs[ph] || 0), 0)));
    state.plots['plot-phases'].setData([x].concat(sums.reverse()));
    state.plots['plot-ratio'].setData([x, col((p) => p.processingRatio), col(() => threshold)]);
    if (state.hasLatency) {
      state.plots['plot-latency'].setData([x, col((p) => p.latencyMs ? p.latencyMs.p50 : null), col((p) => p.latencyMs ? p.latencyMs.p99 : null)]);
    }
    state.plots['plot-lag'].setData([x, col((p) => p.watermarkLagSeconds)]);
    state.plots['plot-state'].setData([x, col((p) => p.stateCells), col((p) => p.stateBytes)]);
    state.plots['plot-backlog'].setData([x, col((p) => p.backlogBytes >= 0 ? p.backlogBytes : null), col((p) => p.backlogRows != null ? p.backlogRows : null)]);
    document.body.dataset.points = String(pts.length);
  }

  function showJob(job) {
    state.job = job;
    $('job-name').textContent = job.name;
    const st = $('job-state');
    st.textContent = job.state;
    st.className = 'state ' + job.state;
    document.body.dataset.state = job.state;
    const facts = [
      job.runner, 'parallelism ' + job.parallelism, fmt(job.epochs) + ' epochs', fmt(job.uptimeSeconds) + ' s up',
    ];
    if (job.tuning) {
      facts.push('interval ' + fmt(job.tuning.batchIntervalMs) + ' ms', 'cap ' + fmt(job.tuning.maxRecordsPerBatch) + ' rows');
      if (job.autoTune) facts.push('auto-tune on');
    }
    $('job-facts').innerHTML = facts.map((f) => '<span>' + esc(f) + '</span>').join('');
    const alerts = $('alerts');
    alerts.innerHTML = job.alerts.length === 0
      ? '<li class="none">No active alerts</li>'
      : job.alerts.map((a) => '<li class="alert" data-alert="' + esc(a.name) + '"><b>' + esc(a.name) +
          '</b> since epoch ' + a.sinceEpoch + ': ' + esc(a.message) + '</li>').join('');
    document.body.dataset.alerts = job.alerts.map((a) => a.name).join(' ');
    const c = job.capacity;
    if (c) {
      $('capacity').innerHTML = '<span><b>' + fmt(c.rowsPerSecondPerCore) + '</b> rows/s per core (' + c.cores + ' cores, ' + c.epochs + ' epochs)</span>' +
        '<span>for ' + fmt(c.targetRowsPerSecond) + ' rows/s at 50% processing: <b>' + fmt(c.coresNeeded, 1) + '</b> cores, ' +
        fmt(c.coresWithHeadroom, 1) + ' with ' + fmt(c.headroom * 100) + '% headroom</span>' +
        '<span>processing ratio now ' + fmt(c.processingRatio * 100) + '%</span>';
    }
    const b = job.boundedProgress;
    $('bounded-panel').hidden = !b;
    if (b) {
      $('bounded-bar').style.width = (b.fraction == null ? 0 : b.fraction * 100) + '%';
      $('bounded-text').innerHTML = ['<span>' + (b.fraction == null ? '?' : fmt(b.fraction * 100)) + '%</span>',
        '<span>' + fmt(b.rows) + ' rows</span>', '<span>' + bytes(b.bytesRead) + ' of ' + bytes(b.estimatedBytes) + '</span>',
        '<span>' + fmt(b.elapsedMs / 1000) + ' s elapsed</span>', '<span>' + (b.finished ? 'done' : b.etaMs == null ? 'ETA ?' : 'ETA ' + fmt(b.etaMs / 1000) + ' s') + '</span>'].join('');
    }
  }

  function showLatest(p) {
    if (!p) return;
    const parts = ['epoch ' + p.epoch, fmt(p.inputRows) + ' rows', fmt(p.processedRowsPerSecond) + ' rows/s',
      fmt(p.durationMs.total) + ' ms (busy ' + fmt(p.busyMs) + ')', 'watermark ' + p.watermark,
      'state ' + fmt(p.stateCells) + ' rows, ' + bytes(p.stateBytes), 'late ' + fmt(p.lateRowsDropped),
      'backlog ' + bytes(p.backlogBytes)];
    if (p.latencyMs) parts.push('latency p50 ' + fmt(p.latencyMs.p50, 1) + ' / p99 ' + fmt(p.latencyMs.p99, 1) + ' ms');
    $('latest').innerHTML = parts.map((t) => '<span>' + esc(t) + '</span>').join('');
    const stages = p.stages ? Object.entries(p.stages) : [];
    $('stage-figures').hidden = stages.length === 0;
    if (stages.length) {
      const names = {};
      (state.plan ? state.plan.stages : []).forEach((s) => { names[s.id] = s.name; });
      $('stage-figures').tBodies[0].innerHTML = stages.map(([id, s]) => '<tr><td>' + esc(id + ' ' + (names[id] || '')) + '</td><td>' +
        fmt(s.rowsPerSecond) + '</td><td>' + (s.queueOccupancy == null ? '–' : fmt(s.queueOccupancy * 100) + '%') + '</td></tr>').join('');
    }
  }

  // The stage graph: stages in columns by depth (longest path from a source), edges as curves.
  function drawPlan(plan) {
    if (!plan.stages.length) return;
    state.plan = plan;
    const depth = {};
    plan.stages.forEach((s) => { depth[s.id] = 0; });
    plan.stages.forEach((s) => plan.exchanges.filter((e) => e.to === s.id).forEach((e) => {
      depth[s.id] = Math.max(depth[s.id], (depth[e.from] || 0) + 1);
    }));
    const cols = {};
    plan.stages.forEach((s) => { (cols[depth[s.id]] = cols[depth[s.id]] || []).push(s); });
    const W = 190, H = 46, GX = 50, GY = 14;
    const pos = {};
    Object.keys(cols).forEach((d) => cols[d].forEach((s, i) => { pos[s.id] = { x: 10 + d * (W + GX), y: 10 + i * (H + GY) }; }));
    const width = 20 + (Object.keys(cols).length) * (W + GX);
    const height = 20 + Math.max(...Object.values(cols).map((c) => c.length)) * (H + GY);
    let svg = '<svg viewBox="0 0 ' + width + ' ' + height + '" height="' + height + '"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#78909c"/></marker></defs>';
    plan.exchanges.forEach((e) => {
      const a = pos[e.from], b = pos[e.to];
      if (!a || !b) return;
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      svg += '<path class="edge ' + esc(e.kind) + '" d="M' + x1 + ',' + y1 + ' C' + (x1 + 30) + ',' + y1 + ' ' + (x2 - 30) + ',' + y2 + ' ' + x2 + ',' + y2 + '"><title>' + esc(e.kind + ' ' + e.name) + '</title></path>';
    });
    plan.stages.forEach((s) => {
      const p = pos[s.id];
      const label = s.name.length > 30 ? '…' + s.name.slice(-29) : s.name;
      svg += '<g class="stage ' + esc(s.kind) + '" data-stage="' + s.id + '"><title>' + esc(s.steps.join('\n')) + '</title>' +
        '<rect x="' + p.x + '" y="' + p.y + '" width="' + W + '" height="' + H + '"/>' +
        '<text x="' + (p.x + 6) + '" y="' + (p.y + 17) + '">' + esc(s.id + ' · ' + s.kind) + '</text>' +
        '<text x="' + (p.x + 6) + '" y="' + (p.y + 34) + '">' + esc(label) + '</text></g>';
    });
    $('plan').innerHTML = svg + '</svg>';
    state.planDrawn = true;
  }

  async function refreshEvents() {
    const a = await get('api/alerts');
    $('alert-events').innerHTML = a.events.slice().reverse().map((e) => '<li>epoch ' + e.epoch + ': ' + esc(e.name) + ' ' + (e.raised ? 'raised' : 'cleared') + '</li>').join('');
  }

  async function tick() {
    try {
      const [job, progress] = await Promise.all([get('api/job'), get('api/progress?after=' + state.lastSeq)]);
      showJob(job);
      if (!state.planDrawn) drawPlan(await get('api/plan'));
      if (progress.points.length) {
        state.points = state.points.concat(progress.points).slice(-MAX_POINTS);
        state.lastSeq = progress.lastSeq;
        if (!state.hasLatency && progress.points.some((p) => p.latencyMs)) {
          state.hasLatency = true;
          $('latency-figure').hidden = false;
        }
        redraw();
        await refreshEvents();
      }
      showLatest(progress.latest);
      document.body.dataset.ready = 'true';
    } catch (e) {
      $('job-state').textContent = 'unreachable';
      $('job-state').className = 'state FAILED';
    }
  }

  setupPlots();
  tick();
  setInterval(tick, 1000);
})();
