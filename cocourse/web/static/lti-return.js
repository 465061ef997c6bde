// Sends the deep-linking answer back to the platform at once; the button stays for
// browsers without JavaScript.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("lti-return");
  if (form) { form.submit(); }
});
