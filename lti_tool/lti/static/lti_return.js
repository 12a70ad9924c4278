// Hands control back to the platform: posts a waiting form (a deep linking response), or
// tells the window that opened dynamic registration that it is finished.
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.submit();
  });

  var done = document.getElementById("lti-registration-done");
  if (done) {
    // The specification's close message; it carries nothing secret, so any origin may read it.
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
