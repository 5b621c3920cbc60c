// As a developer types a firm, show the firms already followed that may be the same one.
(function () {
  var form = document.getElementById('firm-form');
  var box = document.getElementById('live-candidates');
  if (!form || !box) { return; }
  var token = document.querySelector('meta[name="csrf-token"]');
  var timer = null, last = '';
  function value(name) { var f = form.elements[name]; return f ? f.value.trim() : ''; }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (cls) { node.className = cls; }
    return node;
  }
  function render(candidates) {
    box.textContent = '';
    if (!candidates.length) { return; }
    var section = el('section', null, 'candidates');
    section.appendChild(el('h2', 'Cette entreprise est peut-être déjà suivie'));
    var list = el('ul');
    candidates.forEach(function (c) {
      var item = el('li');
      var p = el('p');
      var link = el('a', c.name);
      link.href = '/entreprises/' + c.firm_id;
      p.appendChild(link);
      p.appendChild(document.createTextNode(
        (c.siret ? ' · SIRET ' + c.siret : '') + ' — ' + Math.round(c.score * 100) + ' %'));
      item.appendChild(p);
      item.appendChild(el('p', c.reasons.join(' ; '), 'hint'));
      (c.followed_by_text.length ? c.followed_by_text : ['Aucune organisation ne la suit encore.'])
        .forEach(function (line) {
          item.appendChild(el('p', line.charAt(0).toUpperCase() + line.slice(1), 'followed'));
        });
      list.appendChild(item);
    });
    section.appendChild(list);
    box.appendChild(section);
  }
  function check() {
    var body = {name: value('name'), siret: value('siret') || null, siren: value('siren') || null,
                // a postcode counts once its five digits are typed
                postcode: /^\d{5}$/.test(value('postcode')) ? value('postcode') : null,
                email: value('email') || null,
                phone: value('phone') || null};
    var key = JSON.stringify(body);
    if (key === last || (body.name.length < 3 && !body.siret && !body.email && !body.phone)) { return; }
    last = key;
    fetch(form.dataset.matchUrl, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRFToken': token ? token.content : ''},
      body: key
    }).then(function (r) { return r.ok ? r.json() : {candidates: []}; })
      .then(function (data) { render(data.candidates); })
      .catch(function () {});
  }
  form.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(check, 300); });
})();
