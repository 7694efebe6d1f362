/*
 * Special:Upload with JavaScript: the same form, uploaded through api.php in chunks
 * (action=upload, stash=1, filesize, offset, chunk, filekey), then published by filekey.
 * Several files (chosen or dropped) upload one after another with a progress bar each; an
 * upload can be paused and resumed; a dropped connection is retried (the server's stash keeps
 * the offset, and `stashfailed` tells us where it is); and after a page reload the filekey and
 * offset kept in localStorage let the same file, chosen again, continue where it stopped.
 * MediaWiki's warnings come back with MediaWiki's choices: upload anyway, change the name, or
 * cancel. No build step: plain script, served as is.
 */
(function () {
  'use strict';
  var form = document.getElementById('mw-upload-form');
  var fileInput = form && form.elements.wpUploadFile;
  if (!form || !fileInput || !window.FormData || !window.XMLHttpRequest || !window.localStorage) {
    return; // the plain form post keeps working
  }
  var api = form.getAttribute('data-api');
  var chunkSize = Number(form.getAttribute('data-chunk-size')) || 1048576;
  var maxSize = Number(form.getAttribute('data-max-size')) || Infinity;
  var STORE = 'mwupload:uploads:' + (form.getAttribute('data-user') || '');
  var queue = document.getElementById('mw-upload-queue');
  var list = document.getElementById('mw-upload-list');
  var drop = document.getElementById('mw-upload-drop');
  var note = document.getElementById('mw-upload-resume-note');
  var items = [];
  var running = null;

  // ---- helpers -----------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { e.textContent = attrs[k]; } else if (k === 'class') { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }
  function fmtSize(n) {
    var u = ['bytes', 'KB', 'MB', 'GB', 'TB'], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return i === 0 ? n + ' bytes' : (Math.round(n * 100) / 100) + ' ' + u[i];
  }
  function fileId(f) { return f.name + '|' + f.size + '|' + f.lastModified; }
  function loadStore() {
    try { return JSON.parse(localStorage.getItem(STORE) || '{}') || {}; } catch (e) { return {}; }
  }
  function saveEntry(it) {
    var s = loadStore();
    s[it.id] = { name: it.file ? it.file.name : it.origName, size: it.size, filename: it.filename, comment: it.comment,
      filekey: it.filekey, offset: it.offset, updated: Date.now() };
    localStorage.setItem(STORE, JSON.stringify(s));
  }
  function forgetEntry(id) {
    var s = loadStore();
    delete s[id];
    localStorage.setItem(STORE, JSON.stringify(s));
  }
  function token() { return form.elements.wpEditToken.value; }
  function wikiUrl(title) { return '/wiki/' + encodeURIComponent(title.replace(/ /g, '_')).replace(/%3A/g, ':').replace(/%2F/g, '/'); }

  /** POSTs a FormData to api.php; resolves with {json} or {network: true}; reports upload progress
   * as the fraction of the request body sent (the body is the chunk plus multipart framing, so raw
   * byte counts would run past the chunk's end and the bar would step back when it is confirmed). */
  function post(fd, onProgress, it) {
    fd.append('format', 'json');
    fd.append('formatversion', '2');
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      if (it) { it.xhr = xhr; }
      xhr.open('POST', api);
      xhr.responseType = 'text';
      if (onProgress && xhr.upload) {
        xhr.upload.onprogress = function (e) { if (e.lengthComputable && e.total > 0) { onProgress(e.loaded / e.total); } };
      }
      xhr.onload = function () {
        if (it) { it.xhr = null; }
        var json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (!json || xhr.status >= 500) { resolve({ network: true, status: xhr.status }); } else { resolve({ json: json }); }
      };
      xhr.onerror = xhr.ontimeout = function () { if (it) { it.xhr = null; } resolve({ network: true }); };
      xhr.onabort = function () { if (it) { it.xhr = null; } resolve({ aborted: true }); };
      xhr.send(fd);
    });
  }
  function refreshToken() {
    return fetch(api + '?action=query&meta=tokens&type=csrf&format=json&formatversion=2', { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (j) { if (j.query && j.query.tokens) { form.elements.wpEditToken.value = j.query.tokens.csrftoken; } })
      .catch(function () {});
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  // ---- one upload's row ----------------------------------------------------------------------
  function render(it) {
    if (!it.row) {
      it.nameEl = el('span', { class: 'name' });
      it.statusEl = el('span', { class: 'status', role: 'status' });
      it.bar = el('progress', { max: '100', value: '0' });
      it.bar.setAttribute('aria-label', 'Upload progress');
      it.detail = el('div', { class: 'detail' });
      it.controls = el('div', { class: 'controls' });
      it.extra = el('div', { class: 'extra' });
      it.row = el('li', { class: 'item' }, [el('div', { class: 'head' }, [it.nameEl, it.statusEl]), it.bar, it.detail, it.controls, it.extra]);
      list.appendChild(it.row);
      queue.hidden = false;
    }
    it.row.setAttribute('data-state', it.state);
    it.row.setAttribute('data-filename', it.filename);
    it.nameEl.textContent = it.filename;
    var pct = it.size ? Math.floor(100 * it.shown / it.size) : 0;
    it.bar.max = it.size || 1;
    it.bar.value = it.shown;
    it.bar.setAttribute('data-offset', String(it.offset));
    it.detail.textContent = fmtSize(it.shown) + ' of ' + fmtSize(it.size) + ' (' + pct + '%)';
    it.statusEl.textContent = it.message || it.state;
    it.statusEl.className = 'status' + (it.state === 'done' ? ' done' : it.state === 'failed' ? ' failed' : '');
    it.controls.textContent = '';
    function button(label, cls, fn) {
      var b = el('button', { type: 'button', class: cls || 'secondary', text: label });
      b.addEventListener('click', fn);
      it.controls.appendChild(b);
      return b;
    }
    if (it.state === 'uploading' || it.state === 'queued' || it.state === 'retrying') {
      button('Pause', 'secondary pause', function () { pause(it); });
    } else if (it.state === 'paused' || it.state === 'failed' && it.file && !it.final) {
      button('Resume', 'resume', function () { resume(it); });
    }
    if (it.state === 'waiting-for-file') {
      button('Forget this upload', 'secondary', function () { forgetEntry(it.id); remove(it); });
    }
    if (it.state === 'done' && it.descriptionurl) {
      it.controls.appendChild(el('a', { href: it.descriptionurl, text: 'Open the file page' }));
    }
  }
  function remove(it) {
    items = items.filter(function (x) { return x !== it; });
    if (it.row) { it.row.remove(); }
  }
  function setState(it, state, message) {
    it.state = state;
    it.message = message || '';
    render(it);
  }

  // ---- the queue ------------------------------------------------------------------------------
  function enqueue(file, filename, comment) {
    var id = fileId(file);
    var it = items.filter(function (x) { return x.id === id && x.state === 'waiting-for-file'; })[0];
    if (it) {
      it.file = file;
      it.message = '';
    } else {
      it = { id: id, file: file, size: file.size, filename: filename, comment: comment, offset: 0, shown: 0, filekey: null };
      items.push(it);
    }
    it.watch = form.elements.wpWatchthis && form.elements.wpWatchthis.checked;
    it.ignore = form.elements.wpIgnoreWarning && form.elements.wpIgnoreWarning.checked;
    if (file.size > maxSize) {
      setState(it, 'failed', 'The file is too large: the maximum is ' + fmtSize(maxSize) + '.');
      it.final = true;
      return;
    }
    if (file.size === 0) {
      setState(it, 'failed', 'The file is empty.');
      it.final = true;
      return;
    }
    setState(it, 'queued', it.offset > 0 ? 'Waiting to resume' : 'Waiting');
    pump();
  }
  function pump() {
    if (running) { return; }
    var next = items.filter(function (x) { return x.state === 'queued'; })[0];
    if (!next) { return; }
    running = next;
    upload(next).then(function () { running = null; pump(); }, function (e) {
      running = null;
      setState(next, 'failed', 'Unexpected error: ' + e);
      pump();
    });
  }
  function pause(it) {
    it.paused = true;
    if (it.xhr) { it.xhr.abort(); }
    setState(it, 'paused', 'Paused at ' + fmtSize(it.offset));
  }
  function resume(it) {
    it.paused = false;
    setState(it, 'queued', 'Waiting to resume');
    pump();
  }

  // ---- chunks ------------------------------------------------------------------------------
  function apiError(j) { return j && j.error ? j.error : null; }

  async function upload(it) {
    it.paused = false;
    if (it.filekey && it.offset > 0 && it.offset < it.size && !it.checked) {
      // After a reload: ask the server where the chunk session stands.
      setState(it, 'uploading', 'Checking the unfinished upload…');
      var fd0 = new FormData();
      fd0.append('action', 'upload'); fd0.append('checkstatus', '1'); fd0.append('filekey', it.filekey); fd0.append('token', token());
      var r0 = await post(fd0);
      var u0 = r0.json && r0.json.upload;
      if (u0 && u0.result === 'Continue' && Number(u0.offset) >= 0) {
        it.offset = Number(u0.offset);
      } else if (!r0.network) {
        it.filekey = null; it.offset = 0; // the session is gone: start over
      }
      it.checked = true;
    }
    var failures = 0;
    while (it.offset < it.size || !it.assembled) {
      if (it.paused) { return; }
      if (it.offset >= it.size && it.filekey) { it.assembled = true; break; }
      var start = it.offset;
      var end = Math.min(start + chunkSize, it.size);
      var fd = new FormData();
      fd.append('action', 'upload');
      fd.append('stash', '1');
      fd.append('filename', it.filename);
      fd.append('filesize', String(it.size));
      fd.append('offset', String(start));
      fd.append('ignorewarnings', '1');
      if (start > 0 && it.filekey) { fd.append('filekey', it.filekey); }
      fd.append('token', token());
      fd.append('chunk', it.file.slice(start, end), it.file.name);
      setState(it, 'uploading', 'Uploading… chunk at ' + fmtSize(start));
      var res = await post(fd, function (fraction) { it.shown = Math.max(it.shown, Math.min(end, start + Math.floor(fraction * (end - start)))); render(it); }, it);
      if (res.aborted) { return; }
      if (res.network) {
        failures++;
        var wait = Math.min(30000, 1000 * Math.pow(2, Math.min(failures - 1, 5)));
        it.shown = it.offset;
        setState(it, 'retrying', 'Connection lost; retrying in ' + Math.round(wait / 1000) + ' s (the part already sent is kept)');
        await sleep(wait);
        if (it.paused) { return; }
        continue;
      }
      failures = 0;
      var err = apiError(res.json);
      if (err) {
        if (err.code === 'stashfailed' && err.offset !== undefined && it.filekey) {
          it.offset = Number(err.offset); // the server has more (or less) than we thought
          it.shown = it.offset;
          saveEntry(it);
          continue;
        }
        if (err.code === 'badtoken' || err.code === 'notoken') { await refreshToken(); failures++; if (failures < 3) { continue; } }
        it.shown = it.offset;
        setState(it, 'failed', err.info || err.code);
        if (!err.offset) { it.final = true; forgetEntry(it.id); }
        return;
      }
      var u = res.json.upload || {};
      if (u.filekey) { it.filekey = u.filekey; }
      if (u.result === 'Continue') {
        it.offset = Number(u.offset);
        it.shown = it.offset;
        saveEntry(it);
      } else if (u.result === 'Success') {
        it.offset = it.size;
        it.shown = it.size;
        it.assembled = true;
        saveEntry(it);
      } else if (u.result === 'Poll') {
        setState(it, 'uploading', 'Assembling the file on the server…');
        await sleep(1000);
        var fdp = new FormData();
        fdp.append('action', 'upload'); fdp.append('checkstatus', '1'); fdp.append('filekey', it.filekey); fdp.append('token', token());
        var rp = await post(fdp);
        var up = rp.json && rp.json.upload;
        if (up && up.result === 'Success') { it.offset = it.size; it.assembled = true; }
      } else {
        setState(it, 'failed', 'Unexpected answer from the server: ' + JSON.stringify(u));
        return;
      }
    }
    await publish(it, false);
  }

  // ---- publishing and MediaWiki's warnings -----------------------------------------------------
  var WARNINGS = {
    exists: function (v) { return 'A file with this name exists already, please check File:' + v + ' if you are not sure if you want to overwrite it.'; },
    'page-exists': function (v) { return 'The description page for this file has already been created at File:' + v + ', but no file with this name currently exists.'; },
    'exists-normalized': function (v) { return 'A file with a similar name exists: File:' + v + '.'; },
    'was-deleted': function (v) { return 'A file of this name has been previously uploaded and subsequently deleted (' + v + '). You should check the deletion log before proceeding to upload it again.'; },
    duplicate: function (v) { return 'This file is a duplicate of the following file' + (v.length === 1 ? '' : 's') + ': ' + v.map(function (n) { return 'File:' + n; }).join(', ') + '.'; },
    'duplicate-archive': function (v) { return 'A file identical to this file (File:' + v + ') has previously been deleted.'; },
    nochange: function () { return 'The upload is an exact duplicate of the current version of this file.'; },
    duplicateversions: function () { return 'The upload is an exact duplicate of an older version of this file.'; },
    'bad-prefix': function (v) { return 'The name of the file begins with "' + v + '", which is a non-descriptive name typically assigned automatically by digital cameras.'; },
    badfilename: function (v) { return 'File name has been changed to "' + v + '".'; },
    'thumb': function (v) { return 'The file seems to be a thumbnail of File:' + v + '.'; },
    'thumb-name': function (v) { return 'The name looks like a thumbnail\'s name.'; },
    'large-file': function (v) { return 'It is recommended that files are no larger than ' + fmtSize(v) + '.'; },
    'empty-file': function () { return 'The file you uploaded seems to be empty.'; },
    'filetype-unwanted-type': function (v) { return 'This is an unwanted file type (' + (Array.isArray(v) ? v.join(', ') : v) + ').'; }
  };

  async function publish(it, ignore) {
    setState(it, 'publishing', 'Publishing…');
    var fd = new FormData();
    fd.append('action', 'upload');
    fd.append('filekey', it.filekey);
    fd.append('filename', it.filename);
    fd.append('comment', it.comment || '');
    fd.append('watchlist', it.watch ? 'watch' : 'nochange');
    if (ignore || it.ignore) { fd.append('ignorewarnings', '1'); }
    fd.append('token', token());
    var res = await post(fd, null, it);
    if (res.network) {
      await sleep(2000);
      return publish(it, ignore);
    }
    var err = apiError(res.json);
    if (err) {
      if (err.code === 'badtoken') { await refreshToken(); return publish(it, ignore); }
      if (err.filekey) { it.filekey = err.filekey; }
      showChoices(it, [], err.info || err.code, !!err.filekey || /filename|title|name/i.test(err.code));
      return;
    }
    var u = res.json.upload || {};
    if (u.filekey) { it.filekey = u.filekey; }
    if (u.result === 'Success') {
      forgetEntry(it.id);
      it.final = true;
      it.filename = u.filename || it.filename;
      it.descriptionurl = wikiUrl('File:' + it.filename);
      it.extra.textContent = '';
      setState(it, 'done', 'Uploaded');
      return;
    }
    if (u.result === 'Warning') {
      saveEntry(it);
      showChoices(it, Object.keys(u.warnings || {}).map(function (k) { return [k, u.warnings[k]]; }), null, true);
      return;
    }
    setState(it, 'failed', 'Unexpected answer from the server: ' + JSON.stringify(u));
  }

  /** Warnings (or a recoverable error) with MediaWiki's choices. */
  function showChoices(it, warnings, errorText, canRename) {
    setState(it, warnings.length ? 'warning' : 'failed', warnings.length ? 'Upload warning' : errorText);
    var box = el('div', { class: 'warnings', role: 'alert' });
    if (warnings.length) {
      var ul = el('ul');
      warnings.forEach(function (w) {
        var f = WARNINGS[w[0]];
        ul.appendChild(el('li', { 'data-warning': w[0], text: f ? f(w[1]) : w[0] + ': ' + JSON.stringify(w[1]) }));
      });
      box.appendChild(ul);
    } else if (errorText) {
      box.appendChild(el('p', { text: errorText }));
    }
    var actions = el('div', { class: 'buttons' });
    if (warnings.length) {
      var anyway = el('button', { type: 'button', class: 'ignore', text: 'Upload anyway' });
      anyway.addEventListener('click', function () { it.extra.textContent = ''; publish(it, true); });
      actions.appendChild(anyway);
    }
    if (canRename && it.filekey) {
      var id = 'rename-' + Math.random().toString(36).slice(2);
      var input = el('input', { type: 'text', id: id, value: it.filename, class: 'rename' });
      var label = el('label', { for: id, text: 'New name:' });
      var change = el('button', { type: 'button', class: 'rename secondary', text: 'Change name and upload' });
      change.addEventListener('click', function () {
        it.filename = input.value.trim() || it.filename;
        it.extra.textContent = '';
        publish(it, false);
      });
      box.appendChild(el('div', { class: 'field' }, [label, input]));
      actions.appendChild(change);
    }
    var cancel = el('button', { type: 'button', class: 'secondary cancel', text: 'Cancel upload' });
    cancel.addEventListener('click', function () { forgetEntry(it.id); remove(it); });
    actions.appendChild(cancel);
    box.appendChild(actions);
    it.extra.textContent = '';
    it.extra.appendChild(box);
    var first = box.querySelector('button');
    if (first) { first.focus(); }
  }

  // ---- the form, the drop zone, and uploads left unfinished by a reload ------------------------
  fileInput.multiple = true;
  drop.hidden = false;
  drop.textContent = 'Drop files here, or choose them above. Each file is uploaded in chunks: you can pause it, and an interrupted upload resumes where it stopped.';
  function addFiles(files) {
    var arr = Array.prototype.slice.call(files);
    var dest = form.elements.wpDestFile.value.trim();
    var desc = form.elements.wpUploadDescription.value;
    arr.forEach(function (f) { enqueue(f, arr.length === 1 && dest ? dest : f.name, desc); });
    form.elements.wpDestFile.value = '';
  }
  form.addEventListener('submit', function (e) {
    if (!fileInput.files || fileInput.files.length === 0) {
      return; // let the server say "no file" (or publish from the stash)
    }
    e.preventDefault();
    addFiles(fileInput.files);
    fileInput.value = '';
  });
  ['dragenter', 'dragover'].forEach(function (t) {
    drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (t) {
    drop.addEventListener(t, function () { drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) { addFiles(e.dataTransfer.files); }
  });
  window.addEventListener('dragover', function (e) { e.preventDefault(); });
  window.addEventListener('drop', function (e) { e.preventDefault(); });

  var pending = loadStore();
  var ids = Object.keys(pending);
  ids.forEach(function (id) {
    var p = pending[id];
    if (!p || !p.filekey) { forgetEntry(id); return; }
    var it = { id: id, file: null, origName: p.name, size: p.size, filename: p.filename, comment: p.comment, offset: p.offset || 0,
      shown: p.offset || 0, filekey: p.filekey };
    items.push(it);
    setState(it, 'waiting-for-file', 'Interrupted. Choose or drop the same file (' + p.name + ') to resume.');
  });
  if (ids.length) {
    note.hidden = false;
    note.textContent = 'Some uploads did not finish. Choose or drop the same files again and they continue where they stopped.';
  }
})();
