document.getElementById("lang").addEventListener("click", function () {
  var on = document.body.classList.toggle("zh-only");
  this.textContent = on ? "中文 + English" : "仅中文";
});
