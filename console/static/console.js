// crmd console: live job progress and small conveniences. Every page works without this script (forms
// and links do the work); with it, running jobs update in place from their events stream.
(function () {
  'use strict';

  var ENDED = { COMPLETED: true, FAILED: true, CANCELLED: true };

  // when shows an API time as the server's pages do: 2006-01-02 15:04:05 UTC.
  function when(s) {
    var d = new Date(s);
    return isNaN(d.getTime()) ? s : d.toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
  }

  function setText(root, testid, text) {
    var el = root.querySelector('[data-testid="' + testid + '"]');
    if (el) { el.textContent = text; }
  }

  // apply shows one job object (an event's data) in its row or section.
  function apply(root, j) {
    var p = Math.max(0, Math.min(100, j.progress || 0));
    setText(root, 'job-status', j.status);
    var bar = root.querySelector('[data-testid="job-progress"]');
    if (bar) { bar.value = p; bar.setAttribute('value', String(p)); bar.textContent = p + '%'; }
    setText(root, 'job-progress-text', p + '%');
    var counts = root.querySelector('[data-testid="job-counts"]');
    if (counts) {
      counts.textContent = root.tagName === 'TR'
        ? j.processed + ' of ' + j.total + ' processed, ' + j.failed + ' failed'
        : j.processed + ' of ' + j.total + ' processed, ' + j.succeeded + ' succeeded, ' + j.failed + ' failed';
    }
    if (j.started_time) { setText(root, 'job-started', when(j.started_time)); }
    if (ENDED[j.status]) {
      if (j.finished_time) { setText(root, 'job-finished', when(j.finished_time)); }
      root.removeAttribute('data-job-live');
      var cancel = root.querySelector('[data-testid="job-cancel"]');
      if (cancel) { cancel.hidden = true; }
      var undo = root.querySelector('[data-testid="job-undo"]');
      if (root.getAttribute('data-can-undo') === '1' && j.kind === 'mass_delete' && !j.undone_by) {
        if (undo) {
          undo.hidden = false;
        } else {
          var cell = root.querySelector('.actions');
          if (cell) {
            var a = document.createElement('a');
            a.href = '/console/jobs/' + encodeURIComponent(j.id) + '/undo';
            a.setAttribute('data-testid', 'job-undo');
            a.textContent = 'Undo';
            cell.appendChild(a);
          }
        }
      }
    }
  }

  // follow opens the job's events stream and closes it once the job has ended (the server closes its
  // side then; without this the browser would reconnect).
  function follow(root) {
    var id = root.getAttribute('data-job-id');
    if (!id || !window.EventSource) { return; }
    var es = new EventSource('/console/jobs/' + encodeURIComponent(id) + '/events');
    es.onmessage = function (ev) {
      var j;
      try { j = JSON.parse(ev.data); } catch (e) { return; }
      apply(root, j);
      if (ENDED[j.status]) { es.close(); }
    };
  }

  function init() {
    var live = document.querySelectorAll('[data-job-live="1"]');
    for (var i = 0; i < live.length; i++) { follow(live[i]); }
    // A select marked data-autosubmit moves the wizard on as soon as a choice is made.
    var auto = document.querySelectorAll('select[data-autosubmit]');
    for (var k = 0; k < auto.length; k++) {
      auto[k].addEventListener('change', function (ev) {
        var f = ev.target.form;
        if (f && ev.target.value) { f.submit(); }
      });
    }
    // "Select all" boxes tick every box of the same name in their form.
    var all = document.querySelectorAll('input[data-select-all]');
    for (var n = 0; n < all.length; n++) {
      all[n].addEventListener('change', function (ev) {
        var name = ev.target.getAttribute('data-select-all');
        var boxes = ev.target.form ? ev.target.form.querySelectorAll('input[name="' + name + '"]') : [];
        for (var b = 0; b < boxes.length; b++) { boxes[b].checked = ev.target.checked; }
      });
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
