"""Doxygen input filter: the public headers' plain `//` comments as documentation.

The headers follow the Google style of plain `//` comments (STYLE.md, "Headers and
comments"), which Doxygen ignores. This filter hands Doxygen a copy in which
- a comment block before a declaration becomes a `///` block (its documentation),
- the block that opens a header ("// File: x.h") documents the file,
- a comment after a member on the same line becomes `///<`, and so do the comment
  lines aligned under it,
- lines indented by two or more spaces after a blank comment line (the examples in the
  comments) become `@code` blocks, and `// clang-format off/on` markers become empty
  lines of the comment.
The header files themselves are not changed.
"""
import re
import sys

# `<name>` in prose (placeholders such as table.<column>) is no HTML tag: escape it.
PLACEHOLDER = re.compile(r"<(/?[A-Za-z_][A-Za-z0-9_]*)>")
COMMENT = re.compile(r"^(\s*)//(?![/!])(.*)$")


def escape(text: str) -> str:
    return PLACEHOLDER.sub(r"\\<\1\\>", text)
TRAILING = re.compile(r'^(\s*[^"/\s][^"/]*?[;,{)])(\s+)//(?![/!<])\s?(.*)$')


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    in_code = False          # inside an @code block
    prev_blank = False       # the previous comment line was an empty `//`
    trailing_col = None      # column of the `//` of the member comment above
    for line in lines:
        m = COMMENT.match(line)
        if m is None:
            if in_code:
                out.append("/// @endcode")
                in_code = False
            t = TRAILING.match(line)
            if t:
                trailing_col = len(t.group(1)) + len(t.group(2))
                prose = escape(t.group(3))
                out.append(f"{t.group(1)}{t.group(2)}///< {prose}")
            else:
                trailing_col = None
                out.append(line)
            prev_blank = False
            continue
        indent, text = m.groups()
        if trailing_col is not None and len(indent) == trailing_col:
            out.append(f"{indent}///< {escape(text.strip())}")
            continue
        trailing_col = None
        body = text[1:] if text.startswith(" ") else text
        if body.strip() in ("clang-format off", "clang-format on"):
            # A formatter marker: no text, but the comment block goes on.
            if in_code:
                out.append(f"{indent}/// @endcode")
                in_code = False
            out.append(f"{indent}///")
            continue
        if body.startswith("File: "):
            out.append(f"{indent}/// @file {body[len('File: '):].strip()}")
            prev_blank = False
            continue
        is_code_line = body.startswith("  ") and body.strip() != ""
        if is_code_line and (prev_blank or in_code):
            if not in_code:
                out.append(f"{indent}/// @code")
                in_code = True
            out.append(f"{indent}/// {body}")
            continue
        if in_code:
            out.append(f"{indent}/// @endcode")
            in_code = False
        prose = escape(body)
        out.append(f"{indent}/// {prose}" if body.strip() else f"{indent}///")
        prev_blank = body.strip() == ""
    if in_code:
        out.append("/// @endcode")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
