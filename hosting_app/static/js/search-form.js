// Leave empty filters out of the URL, so that a search's address stays short and shareable.
document.getElementById('search-form').addEventListener('submit', function (event) {
  Array.prototype.forEach.call(event.target.elements, function (field) {
    if (field.name && field.value === '' && field.type !== 'submit') { field.disabled = true; }
  });
});
