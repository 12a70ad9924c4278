// The chat panel and its outbox.
//
// A line goes into the outbox (kept in localStorage, so it survives a closed tab) before it
// is sent, and leaves it only when the server acknowledges it. After any reconnect the
// outbox is sent again in order with the same client ids; the server stores each id once,
// and the panel shows each stored line once.

function clientId() {
  if (globalThis.crypto?.randomUUID) {
    return crypto.randomUUID();
  }
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export class ChatPanel {
  constructor(root, { bookingId, self, people, signaling }) {
    this.self = self;
    this.people = people;
    this.signaling = signaling;
    this.key = `lti-tool-video-outbox-${bookingId}-${self.id}`;
    this.shown = new Map(); // client id of a line from me, or "id:<server id>" -> element
    this.lastId = 0;
    this.flushing = null;
    this.log = root.querySelector("[data-testid=chat-log]");
    this.form = root.querySelector("[data-testid=chat-form]");
    this.input = root.querySelector("[data-testid=chat-input]");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.compose(this.input.value);
      this.input.value = "";
    });
    for (const item of this._outbox()) {
      this._render({ ...item, sender_id: self.id }, "pending");
    }
  }

  compose(text) {
    const body = text.trim();
    if (!body) {
      return;
    }
    const item = { client_message_id: clientId(), body };
    this._save([...this._outbox(), item]);
    this._render({ ...item, sender_id: this.self.id }, "pending");
    this.flush();
  }

  // Sends the outbox in order; one flush at a time, so order holds across reconnects.
  flush() {
    if (this.flushing) {
      this.again = true; // a reconnect during a send must not be missed
      return this.flushing;
    }
    this.flushing = (async () => {
      do {
        this.again = false;
        await this._flush();
      } while (this.again && this.signaling.joined);
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  get waiting() {
    return this._outbox().length;
  }

  async _flush() {
    while (this.signaling.joined) {
      const [item] = this._outbox();
      if (!item) {
        return;
      }
      const reply = await this.signaling.send("chat", item);
      if (reply.ok) {
        this._save(this._outbox().filter((x) => x.client_message_id !== item.client_message_id));
        this.receive(reply.message);
      } else if (reply.error && reply.error !== "offline" && !reply.error.includes("timed out")) {
        // The server refused the line itself: keeping it would block the rest forever.
        this._save(this._outbox().filter((x) => x.client_message_id !== item.client_message_id));
        this._markFailed(item.client_message_id, reply.error);
      } else {
        return;
      }
    }
  }

  history(messages) {
    for (const message of messages) {
      this.receive(message);
    }
  }

  receive(message) {
    this.lastId = Math.max(this.lastId, message.id);
    if (this.shown.has(`id:${message.id}`)) {
      return;
    }
    const mine = message.sender_id === this.self.id;
    const pending = mine ? this.shown.get(message.client_message_id) : null;
    if (pending) {
      pending.dataset.state = "sent";
      pending.dataset.id = String(message.id);
      this.shown.set(`id:${message.id}`, pending);
      this._reorder(pending);
      return;
    }
    const element = this._render(message, "sent");
    this.shown.set(`id:${message.id}`, element);
    this._reorder(element);
  }

  _render(message, state) {
    const item = document.createElement("li");
    item.dataset.testid = "chat-message";
    item.dataset.state = state;
    item.dataset.clientId = message.client_message_id;
    if (message.id) {
      item.dataset.id = String(message.id);
    }
    const who = document.createElement("strong");
    who.textContent =
      message.sender_id === this.self.id ? "You" : this.people[String(message.sender_id)] || "Them";
    const body = document.createElement("span");
    body.dataset.testid = "chat-body";
    body.textContent = message.body;
    item.append(who, ": ", body);
    this.log.append(item);
    if (message.sender_id === this.self.id) {
      this.shown.set(message.client_message_id, item);
    }
    this.log.scrollTop = this.log.scrollHeight;
    return item;
  }

  // Stored lines are shown in the server's order; pending ones stay at the end.
  _reorder(element) {
    const id = Number(element.dataset.id);
    for (const other of this.log.children) {
      if (other !== element && other.dataset.state === "sent" && Number(other.dataset.id) > id) {
        this.log.insertBefore(element, other);
        return;
      }
    }
    const firstPending = [...this.log.children].find((x) => x.dataset.state === "pending");
    if (firstPending && firstPending !== element) {
      this.log.insertBefore(element, firstPending);
    }
  }

  _markFailed(id, reason) {
    const element = this.shown.get(id);
    if (element) {
      element.dataset.state = "failed";
      element.title = reason;
    }
  }

  _outbox() {
    try {
      return JSON.parse(localStorage.getItem(this.key) || "[]");
    } catch {
      return this.memory || [];
    }
  }

  _save(items) {
    try {
      localStorage.setItem(this.key, JSON.stringify(items));
    } catch {
      // Storage may be blocked in a third-party iframe; the outbox then lives in this page.
      this.memory = items;
    }
  }
}
