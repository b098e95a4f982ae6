// "Copy link" beside an incident's address: the address is on the page as selectable text
// either way; this shows the button and copies it with one press. What it says is English unless
// the button gives it in the page's language (data-copied, data-copy-by-hand).
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var done = button.parentNode.querySelector("[role=status]");
      var copied = button.getAttribute("data-copied") || "Link copied.";
      var byHand = button.getAttribute("data-copy-by-hand") ||
        "Press Ctrl+C (⌘C) to copy the selected link.";
      if (!field) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var said = function (text) { if (done) { done.textContent = text; } };
        field.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(
            function () { said(copied); },
            function () { said(byHand); }
          );
        } else {
          said(document.execCommand("copy") ? copied : byHand);
        }
      });
    })(buttons[i]);
  }
})();
