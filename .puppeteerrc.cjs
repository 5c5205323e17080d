// whatsapp-web.js pulls in puppeteer, whose browser download cannot work here and is not needed:
// the app that runs a WhatsApp Web session brings its own Chromium (executablePath).
module.exports = { skipDownload: true };
