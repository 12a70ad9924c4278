// The tutor records whether a session took place, from the booking page.
const section = document.getElementById("attendance");
if (section) {
  const status = document.getElementById("attendance-status");
  for (const button of section.querySelectorAll("button[data-attended]")) {
    button.addEventListener("click", async () => {
      const response = await fetch(`/api/v1/bookings/${section.dataset.bookingId}/attendance`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ attended: button.dataset.attended === "true" }),
      });
      const body = await response.json();
      if (response.ok) {
        window.location.reload();
      } else {
        status.textContent = body.detail || "Attendance could not be recorded.";
      }
    });
  }
}
