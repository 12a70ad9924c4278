// The development LMS's side of the LTI postMessage storage (answers lti.capabilities,
// lti.put_data and lti.get_data from the tool's iframe) and the auto-post of its launch form.
(function () {
  "use strict";

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.submit();
  });

  var page = document.getElementById("dev-lms");
  if (!page) {
    return;
  }
  var toolOrigin = page.dataset.toolOrigin;
  var frame = document.querySelector("iframe[name=tool-frame]");
  // What each tool origin stored; it lives as long as the course page, like a real platform's.
  var stored = {};

  window.addEventListener("message", function (event) {
    if (event.origin !== toolOrigin || !frame || event.source !== frame.contentWindow) {
      return;
    }
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string") {
      return;
    }
    var reply = { message_id: data.message_id };
    var bucket = stored[event.origin] = stored[event.origin] || {};
    if (data.subject === "lti.capabilities") {
      reply.subject = "lti.capabilities.response";
      reply.supported_messages = [
        { subject: "lti.put_data", frame: "_parent" },
        { subject: "lti.get_data", frame: "_parent" }
      ];
    } else if (data.subject === "lti.put_data") {
      reply.subject = "lti.put_data.response";
      reply.key = data.key;
      if (typeof data.key !== "string" || typeof data.value !== "string") {
        reply.error = { code: "bad_request", message: "key and value must be strings" };
      } else {
        bucket[data.key] = data.value;
        reply.value = data.value;
      }
    } else if (data.subject === "lti.get_data") {
      reply.subject = "lti.get_data.response";
      reply.key = data.key;
      if (Object.prototype.hasOwnProperty.call(bucket, data.key)) {
        reply.value = bucket[data.key];
      } else {
        reply.error = { code: "not_found", message: "nothing stored under that key" };
      }
    } else {
      return;
    }
    event.source.postMessage(reply, event.origin);
  });
})();
