/*
 * The termination request form, as the clerk fills it in. No framework, no inline script
 * (the content security policy forbids it).
 *
 * - Shows the chosen facility's county threshold and the documents the chosen pathway needs
 *   (an emergency adds its clinical record), from #termination-request-rules, which the server
 *   renders from the same rules it enforces on submission: this only informs, it decides nothing.
 * - "Add another document" copies the formset's empty row and counts it in TOTAL_FORMS, up to
 *   MAX_NUM_FORMS.
 *
 * Listeners are delegated from the document and installed once, so that Turbo visits need no
 * re-binding; each visit only redraws the rules box.
 */
(function () {
  "use strict";

  if (window.RegflowTerminationForm) {
    return;
  }
  window.RegflowTerminationForm = true;

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) {
      return null;
    }
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name] === undefined || values[name] === null ? match : String(values[name]);
    });
  }

  function field(name) {
    return document.querySelector("form.case-form [name='" + name + "']");
  }

  function redrawRules() {
    var rules = readJSON("termination-request-rules");
    var words = rules && rules.words;
    if (!words) {
      return;
    }
    var threshold = document.querySelector("[data-termination-threshold]");
    var facility = field("facility");
    var chosen = facility && rules.facilities[facility.value];
    if (threshold) {
      if (chosen && chosen.threshold) {
        var text = fill(words.threshold, { county: chosen.county, weeks: chosen.threshold });
        if (chosen.max_weeks) {
          text += " " + fill(words.designated, { weeks: chosen.max_weeks });
        }
        threshold.textContent = text;
      } else {
        threshold.textContent = words.choose_facility;
      }
    }
    var list = document.querySelector("[data-termination-required-documents]");
    var pathway = field("pathway");
    var emergency = field("emergency");
    if (!list) {
      return;
    }
    var needed = pathway && rules.pathways[pathway.value];
    list.textContent = "";
    if (!needed) {
      var hint = document.createElement("li");
      hint.textContent = words.choose_pathway;
      list.appendChild(hint);
      return;
    }
    needed = needed.slice();
    if (emergency && emergency.checked) {
      needed.push(rules.emergency_document);
    }
    needed.forEach(function (label) {
      var item = document.createElement("li");
      item.textContent = label;
      list.appendChild(item);
    });
  }

  function addDocumentRow(button) {
    var fieldset = button.closest("[data-termination-documents]");
    var template = fieldset && fieldset.querySelector("template[data-termination-document-template]");
    var rows = fieldset && fieldset.querySelector("[data-termination-document-rows]");
    var total = fieldset && fieldset.querySelector("input[name$='-TOTAL_FORMS']");
    var max = fieldset && fieldset.querySelector("input[name$='-MAX_NUM_FORMS']");
    if (!template || !rows || !total) {
      return;
    }
    var index = parseInt(total.value, 10) || 0;
    var limit = max ? parseInt(max.value, 10) : NaN;
    if (!isNaN(limit) && index >= limit) {
      return;
    }
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    var holder = document.createElement("tbody");
    holder.innerHTML = html; // the server's own empty row: no user input goes into it
    var row = holder.firstElementChild;
    rows.appendChild(row);
    total.value = String(index + 1);
    button.hidden = !isNaN(limit) && index + 1 >= limit;
    var first = row.querySelector("select, input");
    if (first) {
      first.focus();
    }
  }

  function showAddButtons() {
    document.querySelectorAll("[data-termination-add-document]").forEach(function (button) {
      var fieldset = button.closest("[data-termination-documents]");
      var total = fieldset.querySelector("input[name$='-TOTAL_FORMS']");
      var max = fieldset.querySelector("input[name$='-MAX_NUM_FORMS']");
      button.hidden = !!(total && max && parseInt(total.value, 10) >= parseInt(max.value, 10));
    });
  }

  function onPage() {
    redrawRules();
    showAddButtons();
  }

  document.addEventListener("change", function (event) {
    var name = event.target && event.target.getAttribute("name");
    if (name === "pathway" || name === "facility" || name === "emergency") {
      redrawRules();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("[data-termination-add-document]");
    if (button) {
      event.preventDefault();
      addDocumentRow(button);
    }
  });
  document.addEventListener("turbo:load", onPage);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onPage);
  } else {
    onPage();
  }
})();
