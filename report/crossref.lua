-- Resolve Quarto-style cross-references (@fig-x, @tbl-x, @sec-x) when Quarto is absent.
-- Plain pandoc reads them as citations: Typst then fails ("no bibliography") and HTML shows
-- "@fig-x". Typst numbers its own figures, so it gets a native reference; HTML gets a link
-- whose number is counted here in document order, matching the CSS counters in style.css.

local kinds = { fig = "Figure", tbl = "Table", sec = "Section" }
local numbers = {}

local function count_targets(doc)
  local figures, tables, sections = 0, 0, {}
  doc:walk({
    traverse = "topdown",
    Figure = function(figure)
      figures = figures + 1
      numbers[figure.identifier] = tostring(figures)
    end,
    Table = function(tbl)
      -- Only captioned tables are numbered (HTML counts <caption>, Typst counts figures).
      if #tbl.caption.long > 0 then
        tables = tables + 1
        numbers[tbl.identifier] = tostring(tables)
      end
    end,
    Header = function(header)
      sections[header.level] = (sections[header.level] or 0) + 1
      for level = header.level + 1, #sections do
        sections[level] = nil
      end
      local parts = {}
      for level = 1, header.level do
        parts[level] = tostring(sections[level] or 0)
      end
      numbers[header.identifier] = table.concat(parts, ".")
    end,
  })
end

local function resolve(cite)
  local id = cite.citations[1].id
  local kind = kinds[id:match("^(%a+)%-")]
  if #cite.citations ~= 1 or not kind or not numbers[id] then
    return cite.content -- an unknown key stays as its literal "@key" text
  end
  if FORMAT:match("typst") then
    return pandoc.RawInline("typst", "#ref(<" .. id .. ">)")
  end
  return pandoc.Link(kind .. " " .. numbers[id], "#" .. id)
end

function Pandoc(doc)
  count_targets(doc)
  return doc:walk({ Cite = resolve })
end
