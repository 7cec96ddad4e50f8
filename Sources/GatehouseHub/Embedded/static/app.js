// Offers to copy recovery codes to the clipboard.
document.addEventListener("DOMContentLoaded", function () {
  var codes = document.getElementById("recovery-codes");
  if (codes && navigator.clipboard) {
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "secondary";
    copy.textContent = "Copy codes";
    copy.addEventListener("click", function () {
      var text = Array.prototype.map.call(codes.querySelectorAll("code"), function (c) { return c.textContent; });
      navigator.clipboard.writeText(text.join("\n"));
      copy.textContent = "Copied";
    });
    codes.parentNode.appendChild(copy);
  }
});
