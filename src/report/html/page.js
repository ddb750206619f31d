// Hover and click on the timeline: the operation's command, output, duration and result
// come from the JSON blob (#ops-data), indexed by each mark's data-i.
(function () {
  var blob = document.getElementById('ops-data');
  var svg = document.getElementById('timeline');
  if (!blob || !svg) return;
  var ops = JSON.parse(blob.textContent);
  var tip = document.getElementById('tip');
  var selected = null;

  function opOf(target) {
    var i = target.getAttribute && target.getAttribute('data-i');
    return i === null || i === undefined ? null : ops[+i];
  }
  function summary(o) {
    // A steps case records every td run as action `td`: its command says more.
    var what = o.action === 'td' && o.cmd ? o.cmd : o.action;
    return '#' + o.seq + ' ' + o.actor + ' ' + what + (o.target ? ' ' + o.target : '') +
      '\n' + o.result + ', ' + o.dur + (o.error ? '\n' + o.error : '') +
      (o.action === 'sync' ? '\n' + o.output.split('\n').slice(0, 3).join('\n') : '');
  }
  function show(o, mark) {
    if (selected) selected.classList.remove('selected');
    selected = mark;
    if (mark) mark.classList.add('selected');
    var d = document.getElementById('op-detail');
    d.hidden = false;
    var fields = { seq: o.seq, time: o.time, actor: o.actor, action: o.action,
      target: o.target ? 'on ' + o.target : '', result: o.result, dur: o.dur, cmd: o.cmd, output: o.output, error: o.error };
    Object.keys(fields).forEach(function (k) {
      var el = d.querySelector('[data-f="' + k + '"]');
      if (el) el.textContent = fields[k] === undefined ? '' : String(fields[k]);
    });
  }
  svg.addEventListener('mousemove', function (e) {
    var o = opOf(e.target);
    if (!o) { tip.hidden = true; return; }
    tip.textContent = summary(o);
    tip.style.left = (e.clientX + 12) + 'px';
    tip.style.top = (e.clientY + 12) + 'px';
    tip.hidden = false;
  });
  svg.addEventListener('mouseleave', function () { tip.hidden = true; });
  svg.addEventListener('click', function (e) {
    var o = opOf(e.target);
    if (o) show(o, e.target);
  });

  // "Operations touching td-…": focus dims every other mark; a seq link selects one.
  function markOf(i) { return svg.querySelector('[data-i="' + i + '"]'); }
  document.querySelectorAll('a.focus-id').forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      var on = !a.classList.contains('active');
      document.querySelectorAll('a.focus-id.active').forEach(function (b) { b.classList.remove('active'); });
      svg.querySelectorAll('.op.focus').forEach(function (m) { m.classList.remove('focus'); });
      svg.classList.toggle('focusing', on);
      if (!on) return;
      a.classList.add('active');
      a.getAttribute('data-ops').split(' ').forEach(function (i) {
        var m = markOf(i);
        if (m) m.classList.add('focus');
      });
    });
  });
  document.querySelectorAll('a.op-link').forEach(function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      var i = a.getAttribute('data-i');
      var m = markOf(i);
      show(ops[+i], m);
      if (m && m.scrollIntoView) m.scrollIntoView({ block: 'nearest', inline: 'center' });
    });
  });

  // `#selftest` (the browser test opens the page so): hover, click a mark and focus an
  // entity as a reader would, and report what did not work as a page error.
  if (location.hash === '#selftest') {
    var first = svg.querySelector('.op.hot') || svg.querySelector('.op');
    first.dispatchEvent(new MouseEvent('mousemove', { bubbles: true, clientX: 5, clientY: 5 }));
    if (tip.hidden) console.error('selftest: hovering a mark shows no tooltip');
    first.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    var cmd = document.querySelector('#op-detail [data-f="cmd"]').textContent;
    if (document.getElementById('op-detail').hidden || cmd !== ops[+first.getAttribute('data-i')].cmd)
      console.error('selftest: clicking a mark does not show its command');
    var focus = document.querySelector('a.focus-id');
    if (focus) {
      focus.click();
      if (!svg.classList.contains('focusing') || !svg.querySelector('.op.focus'))
        console.error('selftest: clicking an entity does not focus its operations');
    }
    svg.dispatchEvent(new MouseEvent('mouseleave'));
    document.body.setAttribute('data-selftest', 'done');
  }
})();
// Stamped last: the dumped DOM shows that the script ran to its end, and when; and, once
// the browser has laid out and painted the page, when that was.
document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
requestAnimationFrame(function () {
  setTimeout(function () {
    document.body.setAttribute('data-painted-ms', String(Math.round(performance.now())));
  }, 0);
});
