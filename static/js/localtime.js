// Each time is printed once, in the page's zone and 24-hour ("Dec 1, 13:04 UTC"). The same bytes
// serve every reader at any moment (cache, export), so what depends on the reader or on the
// moment is added here: the reader's own zone in the time's title (a tap shows it in place), and
// "12 min ago" beside times past (or "in 40 min" within a day), kept fresh. The page is complete
// without this script. On a page in another language than English (<html lang>), dates and
// "ago" are the browser's own in that language (Intl), and <html data-your-time> says "your time".
(function () {
  "use strict";
  var readerZone;
  try {
    readerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  var pageZone = document.documentElement.getAttribute("data-zone") || "UTC";
  var language = document.documentElement.lang || "en";
  var english = language.slice(0, 2) === "en";
  var yourTime = document.documentElement.getAttribute("data-your-time") || "your time";
  var format = new Intl.DateTimeFormat(english ? "en-US" : language, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZoneName: "short"
  });
  var MINUTE = 60000, HOUR = 60 * MINUTE, DAY = 24 * HOUR;

  function offsetAt(moment, zone) {
    var parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric"
    }).formatToParts(moment);
    var get = function (type) {
      return Number(parts.find(function (part) { return part.type === type; }).value);
    };
    return Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute")) -
      Math.floor(moment.getTime() / MINUTE) * MINUTE;
  }

  // "Dec 1, 08:04 EST", the page's own shape in the reader's zone.
  function readerText(moment) {
    return format.format(moment).replace(/ at /, ", ");
  }

  function relative(moment, now) {
    var gap = now - moment.getTime();
    var span = Math.abs(gap);
    if (gap < 0 && span > DAY) {
      return "";
    }
    if (!english && window.Intl && Intl.RelativeTimeFormat) {
      return relativeIn(language, gap, span);
    }
    var words;
    if (span < MINUTE) {
      return gap >= 0 ? "just now" : "in under a minute";
    } else if (span < HOUR) {
      words = Math.floor(span / MINUTE) + " min";
    } else if (span < 2 * DAY) {
      words = Math.floor(span / HOUR) + " h";
    } else {
      words = Math.floor(span / DAY) + " days";
    }
    return gap >= 0 ? words + " ago" : "in " + words;
  }

  // The same spans in another language: "vor 12 Min.", "in 40 Min.".
  function relativeIn(language, gap, span) {
    var words = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "short" });
    var sign = gap >= 0 ? -1 : 1;
    if (span < MINUTE) {
      return words.format(0, "second");
    } else if (span < HOUR) {
      return words.format(sign * Math.floor(span / MINUTE), "minute");
    } else if (span < 2 * DAY) {
      return words.format(sign * Math.floor(span / HOUR), "hour");
    }
    return words.format(sign * Math.floor(span / DAY), "day");
  }

  function showInReaderZone(time, moment) {
    var own = readerText(moment) + ", " + yourTime;
    var shown = time.textContent;
    time.title = own;
    time.classList.add("has-local");
    time.addEventListener("click", function () {
      time.textContent = time.textContent === shown ? readerText(moment) : shown;
    });
  }

  function addRelative(time) {
    var ago = document.createElement("span");
    ago.className = "ago";
    var inner = document.createElement("time");
    inner.setAttribute("datetime", time.getAttribute("datetime"));
    ago.appendChild(document.createTextNode(" · "));
    ago.appendChild(inner);
    time.insertAdjacentElement("afterend", ago);
    return inner;
  }

  function refresh(relatives) {
    var now = Date.now();
    relatives.forEach(function (time) {
      var text = relative(new Date(time.getAttribute("datetime")), now);
      time.textContent = text;
      time.parentNode.hidden = text === "";
    });
  }

  function start() {
    var times = document.querySelectorAll("main time[datetime]");
    var relatives = [];
    for (var i = 0; i < times.length; i++) {
      var moment = new Date(times[i].getAttribute("datetime"));
      if (isNaN(moment.getTime())) {
        continue;
      }
      if (offsetAt(moment, readerZone) !== offsetAt(moment, pageZone)) {
        showInReaderZone(times[i], moment);
      }
      relatives.push(addRelative(times[i]));
    }
    refresh(relatives);
    window.setInterval(function () { refresh(relatives); }, 30000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
