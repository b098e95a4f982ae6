// "Copy link" beside an incident's address: the address is on the page as selectable text
// either way; this shows the button and copies it with one press.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var done = button.parentNode.querySelector("[role=status]");
      if (!field) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var said = function (text) { if (done) { done.textContent = text; } };
        field.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(
            function () { said("Link copied."); },
            function () { said("Press Ctrl+C (⌘C) to copy the selected link."); }
          );
        } else {
          said(document.execCommand("copy") ? "Link copied." : "Press Ctrl+C (⌘C) to copy the selected link.");
        }
      });
    })(buttons[i]);
  }
})();
