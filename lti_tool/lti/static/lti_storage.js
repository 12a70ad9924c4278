// Keeps the login's state and nonce in the platform's storage when the browser will not keep
// the tool's cookie inside the LMS iframe (LTI Client Side postMessages, lti.put_data and
// lti.get_data). "put" runs on the login page, then continues to the platform; "get" runs on
// the launch page, then submits what it read to the tool's verification endpoint.
(function () {
  "use strict";

  var root = document.getElementById("lti-storage");
  if (!root) {
    return;
  }
  var settings = root.dataset;
  var platformOrigin = settings.platformOrigin;
  var timeoutMs = 4000;

  function storageWindow() {
    // A tool opened in a new window talks to its opener; one in an iframe to its parent.
    var parent = window.opener || window.parent;
    if (!parent || parent === window) {
      return null;
    }
    if (settings.target === "_parent") {
      return parent;
    }
    try {
      return parent.frames[settings.target] || null;
    } catch (error) {
      return null;
    }
  }

  function newMessageId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  function isResponse(data, subject) {
    // Early platforms prefix the subjects with "org.imsglobal."; both are accepted.
    return data.subject === subject + ".response" ||
      data.subject === "org.imsglobal." + subject + ".response";
  }

  function send(target, subject, fields) {
    return new Promise(function (resolve, reject) {
      var messageId = newMessageId();
      var timer = window.setTimeout(function () {
        window.removeEventListener("message", listen);
        reject(new Error("the platform did not answer " + subject));
      }, timeoutMs);

      function listen(event) {
        // Only the platform's own origin may answer, and only to the message we sent.
        if (event.origin !== platformOrigin) {
          return;
        }
        var data = event.data;
        if (typeof data === "string") {
          try {
            data = JSON.parse(data);
          } catch (error) {
            return;
          }
        }
        if (!data || typeof data !== "object" || data.message_id !== messageId) {
          return;
        }
        if (!isResponse(data, subject)) {
          return;
        }
        window.clearTimeout(timer);
        window.removeEventListener("message", listen);
        if (data.error) {
          reject(new Error(subject + ": " + (data.error.code || "error")));
        } else {
          resolve(data);
        }
      }

      window.addEventListener("message", listen);
      var message = { subject: subject, message_id: messageId };
      Object.keys(fields).forEach(function (name) {
        message[name] = fields[name];
      });
      target.postMessage(message, platformOrigin);
    });
  }

  function setStatus(text) {
    var status = document.querySelector("[data-testid=lti-storage-status]");
    if (status) {
      status.textContent = text;
    }
  }

  function putThenContinue(target) {
    var puts = target ? [
      send(target, "lti.put_data", { key: settings.stateKey, value: settings.state }),
      send(target, "lti.put_data", { key: settings.nonceKey, value: settings.nonce })
    ] : [Promise.reject(new Error("no platform storage frame"))];
    Promise.all(puts).catch(function () {
      // Without the platform's storage the cookie set with this page may still do.
      return null;
    }).then(function () {
      window.location.replace(settings.next);
    });
  }

  function getThenVerify(target) {
    var form = document.getElementById("lti-verify");
    var gets = target ? [
      send(target, "lti.get_data", { key: settings.stateKey }),
      send(target, "lti.get_data", { key: settings.nonceKey })
    ] : [Promise.reject(new Error("no platform storage frame"))];
    Promise.all(gets).then(function (answers) {
      form.elements.stored_state.value = answers[0].value || "";
      form.elements.stored_nonce.value = answers[1].value || "";
    }).catch(function (error) {
      // The tool refuses an empty answer and says why; the page only reports progress.
      setStatus("Checking the launch… (" + error.message + ")");
    }).then(function () {
      form.submit();
    });
  }

  var target = storageWindow();
  if (settings.mode === "put") {
    putThenContinue(target);
  } else {
    getThenVerify(target);
  }
})();
