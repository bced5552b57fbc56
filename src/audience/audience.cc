// Audience::Compile: a tokenizer and a recursive-descent parser that type-check
// the expression against one graph's attributes and emit AudienceNodes.
#include "invitegraph/audience.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "audience/audience_program.h"
#include "invitegraph/status.h"

namespace invitegraph {
namespace {

using internal::AttributeColumn;
using internal::AudienceNode;
using internal::AudienceProgram;
using internal::Builtin;
using internal::NumberRef;

absl::string_view Av(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

struct Token {
  enum Kind { kEnd, kName, kString, kNumber, kSymbol } kind = kEnd;
  std::string text;  // name, string contents or symbol
  double number = 0;
  size_t pos = 0;  // 0-based offset in the expression
};

// Limits that keep parsing and evaluation (both recursive) on a small stack
// whatever the input: nesting of not / parentheses, and nodes in all.
constexpr int kMaxDepth = 64;
constexpr size_t kMaxNodes = 1024;

absl::Status SyntaxError(size_t pos, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("audience: ", what, " at character ", pos + 1));
}

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  auto is_alpha = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (is_alpha(c)) {
      size_t j = i;
      while (j < s.size() && (is_alpha(s[j]) || is_digit(s[j]))) ++j;
      t.kind = Token::kName;
      t.text = std::string(s.substr(i, j - i));
      i = j;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      std::string text;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          text.push_back(s[j + 1]);
          j += 2;
        } else if (s[j] == c) {
          closed = true;
          ++j;
          break;
        } else {
          text.push_back(s[j++]);
        }
      }
      if (!closed) return SyntaxError(i, "unterminated string");
      t.kind = Token::kString;
      t.text = std::move(text);
      i = j;
    } else if (is_digit(c) || ((c == '-' || c == '.') && i + 1 < s.size() &&
                               (is_digit(s[i + 1]) || s[i + 1] == '.'))) {
      // Decimal only, whatever the C locale (std::from_chars).
      size_t j = i + (c == '-' ? 1 : 0);
      while (j < s.size() && (is_digit(s[j]) || s[j] == '.')) ++j;
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && is_digit(s[k])) {
          j = k;
          while (j < s.size() && is_digit(s[j])) ++j;
        }
      }
      const auto [end, ec] =
          std::from_chars(s.data() + i, s.data() + j, t.number);
      if (ec != std::errc() || end != s.data() + j ||
          !std::isfinite(t.number)) {
        return SyntaxError(i, "bad number");
      }
      const size_t len = j - i;
      t.text = std::string(s.substr(i, len));
      t.kind = Token::kNumber;
      i += len;
    } else {
      static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">="};
      t.kind = Token::kSymbol;
      for (std::string_view two : kTwo) {
        if (s.substr(i, 2) == two) t.text = std::string(two);
      }
      if (t.text.empty()) {
        if (std::string_view("<>()[],.").find(c) == std::string_view::npos) {
          if (c == '=')
            return SyntaxError(i, "'=' is not an operator; use '=='");
          // Never one byte of a multi-byte character: messages stay UTF-8.
          if (static_cast<unsigned char>(c) >= 0x80) {
            return SyntaxError(
                i,
                "unexpected non-ASCII character (quote strings with ' or \")");
          }
          return SyntaxError(i, absl::StrCat("unexpected character '",
                                             std::string(1, c), "'"));
        }
        t.text = std::string(1, c);
      }
      i += t.text.size();
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

// A parsed operand of a comparison, before its operator is known.
struct Value {
  enum Kind { kAttribute, kString, kNumber, kStringList, kNumberList } kind;
  size_t pos = 0;
  // kAttribute:
  std::string name;
  bool inviter = false;
  AttributeType type = AttributeType::kNumber;
  const AttributeColumn* column = nullptr;  // profile column, or
  std::optional<Builtin> builtin;           // built-in number
  // literals:
  std::string text;
  double number = 0;
  std::vector<std::string> strings;
  std::vector<double> numbers;

  std::string Describe() const {
    switch (kind) {
      case kAttribute:
        return absl::StrCat(inviter ? "inviter." : "", name, " (",
                            Av(AttributeTypeName(type)), ")");
      case kString:
        return absl::StrCat("the string '", text, "'");
      case kNumber:
        return absl::StrCat("the number ", number);
      case kStringList:
        return "a list of strings";
      case kNumberList:
        return "a list of numbers";
    }
    return "";
  }
  bool IsNumber() const {
    return kind == kNumber ||
           (kind == kAttribute && type == AttributeType::kNumber);
  }
  NumberRef AsNumber() const {
    NumberRef r;
    r.inviter = inviter;
    if (kind == kNumber) {
      r.kind = NumberRef::kLiteral;
      r.literal = number;
    } else if (builtin) {
      r.kind = NumberRef::kBuiltin;
      r.builtin = *builtin;
    } else {
      r.kind = NumberRef::kColumn;
      r.column = column;
    }
    return r;
  }
};

class Compiler {
 public:
  Compiler(const SocialGraph& graph, std::vector<Token> tokens,
           AudienceProgram* program)
      : g_(graph.data()), tokens_(std::move(tokens)), p_(program) {}

  absl::Status Run() {
    INVITEGRAPH_ASSIGN_OR_RETURN(p_->root, Or());
    if (Peek().kind != Token::kEnd) {
      return SyntaxError(Peek().pos,
                         absl::StrCat("unexpected '", Peek().text,
                                      "' (expected 'and', 'or' or the end)"));
    }
    return absl::OkStatus();
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(i_ + ahead, tokens_.size() - 1)];
  }
  bool IsKeyword(const Token& t, std::string_view k) const {
    return t.kind == Token::kName && t.text == k;
  }
  bool IsSymbol(const Token& t, std::string_view s) const {
    return t.kind == Token::kSymbol && t.text == s;
  }
  int32_t Emit(AudienceNode n) {
    p_->nodes.push_back(std::move(n));
    return static_cast<int32_t>(p_->nodes.size() - 1);
  }
  absl::Status CheckSize() const {
    if (p_->nodes.size() > kMaxNodes) {
      return SyntaxError(
          Peek().pos, absl::StrCat("expression too long (more than ", kMaxNodes,
                                   " operations)"));
    }
    return absl::OkStatus();
  }
  int32_t Join(AudienceNode::Op op, int32_t a, int32_t b) {
    AudienceNode n;
    n.op = op;
    n.a = a;
    n.b = b;
    return Emit(std::move(n));
  }

  absl::StatusOr<int32_t> Or() {
    INVITEGRAPH_ASSIGN_OR_RETURN(int32_t a, And());
    while (IsKeyword(Peek(), "or")) {
      ++i_;
      INVITEGRAPH_ASSIGN_OR_RETURN(int32_t b, And());
      a = Join(AudienceNode::kOr, a, b);
      INVITEGRAPH_RETURN_IF_ERROR(CheckSize());
    }
    return a;
  }

  absl::StatusOr<int32_t> And() {
    INVITEGRAPH_ASSIGN_OR_RETURN(int32_t a, Factor());
    while (IsKeyword(Peek(), "and")) {
      ++i_;
      INVITEGRAPH_ASSIGN_OR_RETURN(int32_t b, Factor());
      a = Join(AudienceNode::kAnd, a, b);
      INVITEGRAPH_RETURN_IF_ERROR(CheckSize());
    }
    return a;
  }

  absl::StatusOr<int32_t> Factor() {
    if (IsKeyword(Peek(), "not") || IsSymbol(Peek(), "(")) {
      if (depth_ >= kMaxDepth) {
        return SyntaxError(Peek().pos, absl::StrCat("nested deeper than ",
                                                    kMaxDepth, " levels"));
      }
    }
    if (IsKeyword(Peek(), "not")) {
      ++i_;
      ++depth_;
      auto a = Factor();
      --depth_;
      if (!a.ok()) return a.status();
      INVITEGRAPH_RETURN_IF_ERROR(CheckSize());
      return Join(AudienceNode::kNot, *a, -1);
    }
    if (IsSymbol(Peek(), "(")) {
      const size_t open = Peek().pos;
      ++i_;
      ++depth_;
      auto inner = Or();
      --depth_;
      if (!inner.ok()) return inner.status();
      const int32_t a = *inner;
      if (!IsSymbol(Peek(), ")")) {
        return SyntaxError(Peek().pos,
                           absl::StrCat("expected ')' to close the '(' at "
                                        "character ",
                                        open + 1));
      }
      ++i_;
      return a;
    }
    return Comparison();
  }

  absl::StatusOr<Value> ParseValue() {
    const Token& t = Peek();
    Value v{};
    v.pos = t.pos;
    switch (t.kind) {
      case Token::kString:
        v.kind = Value::kString;
        v.text = t.text;
        ++i_;
        return v;
      case Token::kNumber:
        v.kind = Value::kNumber;
        v.number = t.number;
        ++i_;
        return v;
      case Token::kName:
        return Attribute();
      case Token::kSymbol:
        if (t.text == "[") return List();
        break;
      case Token::kEnd:
        return SyntaxError(t.pos, "unexpected end of expression");
    }
    return SyntaxError(t.pos, absl::StrCat("unexpected '", t.text, "'"));
  }

  absl::StatusOr<Value> Attribute() {
    Value v{};
    v.kind = Value::kAttribute;
    v.pos = Peek().pos;
    if (IsKeyword(Peek(), "inviter")) {
      if (!IsSymbol(Peek(1), ".") || Peek(2).kind != Token::kName) {
        return SyntaxError(Peek().pos,
                           "'inviter' must be followed by '.attribute'");
      }
      v.inviter = true;
      i_ += 2;
    }
    const Token& t = Peek();
    for (std::string_view k : internal::AudienceKeywords()) {
      if (t.text == k) {
        return SyntaxError(t.pos, absl::StrCat("unexpected keyword '", t.text,
                                               "' (expected a value)"));
      }
    }
    v.name = t.text;
    const size_t name_pos = t.pos;
    ++i_;
    const auto builtins = internal::BuiltinAttributeNames();
    for (size_t b = 0; b < builtins.size(); ++b) {
      if (v.name == builtins[b]) {
        v.builtin = static_cast<Builtin>(b);
        v.type = AttributeType::kNumber;
        return v;
      }
    }
    v.column = g_.attributes.Find(v.name);
    if (v.column == nullptr) {
      std::string known;
      for (const AttributeColumn& c : g_.attributes.columns) {
        absl::StrAppend(&known, known.empty() ? "" : ", ", c.name, " (",
                        Av(AttributeTypeName(c.type)), ")");
      }
      for (std::string_view b : builtins) {
        absl::StrAppend(&known, known.empty() ? "" : ", ", Av(b), " (number)");
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "audience: unknown attribute '", v.name, "' at character ",
          name_pos + 1, "; this graph has: ", known));
    }
    v.type = v.column->type;
    return v;
  }

  absl::StatusOr<Value> List() {
    Value v{};
    v.pos = Peek().pos;
    ++i_;  // [
    bool strings = false, numbers = false;
    while (true) {
      const Token& t = Peek();
      if (t.kind == Token::kString) {
        strings = true;
        v.strings.push_back(t.text);
      } else if (t.kind == Token::kNumber) {
        numbers = true;
        v.numbers.push_back(t.number);
      } else {
        return SyntaxError(t.pos, "list items must be strings or numbers");
      }
      ++i_;
      if (IsSymbol(Peek(), ",")) {
        ++i_;
        continue;
      }
      if (IsSymbol(Peek(), "]")) {
        ++i_;
        break;
      }
      return SyntaxError(Peek().pos, "expected ',' or ']' in the list");
    }
    if (strings && numbers) {
      return SyntaxError(v.pos,
                         "a list must hold only strings or only numbers");
    }
    v.kind = strings ? Value::kStringList : Value::kNumberList;
    return v;
  }

  absl::Status TypeError(const Value& at, absl::string_view op, const Value& l,
                         const Value& r) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience: '", op, "' cannot compare ", l.Describe(),
                     " with ", r.Describe(), " at character ", at.pos + 1));
  }

  absl::StatusOr<int32_t> Comparison() {
    INVITEGRAPH_ASSIGN_OR_RETURN(Value l, ParseValue());
    const Token& t = Peek();
    bool negate_in = false;
    std::string op;
    if (t.kind == Token::kSymbol &&
        (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == "<=" ||
         t.text == ">" || t.text == ">=")) {
      op = t.text;
      ++i_;
    } else if (IsKeyword(t, "in")) {
      op = "in";
      ++i_;
    } else if (IsKeyword(t, "not") && IsKeyword(Peek(1), "in")) {
      op = "not in";
      negate_in = true;
      i_ += 2;
    } else {
      // A bare value: only is_new reads as a condition.
      if (l.kind == Value::kAttribute && l.builtin == Builtin::kIsNew) {
        AudienceNode n;
        n.op = AudienceNode::kNumCompare;
        n.cmp = AudienceNode::kEq;
        n.lhs = l.AsNumber();
        n.rhs.kind = NumberRef::kLiteral;
        n.rhs.literal = 1;
        return Emit(std::move(n));
      }
      return SyntaxError(
          t.pos, absl::StrCat("expected a comparison after ", l.Describe(),
                              " (==, !=, <, <=, >, >=, in, not in)"));
    }
    INVITEGRAPH_ASSIGN_OR_RETURN(Value r, ParseValue());
    AudienceNode n;
    if (op == "in" || op == "not in") {
      n.negate = negate_in;
      // 'x' in tags
      if (l.kind == Value::kString && r.kind == Value::kAttribute &&
          r.type == AttributeType::kTags) {
        n.op = AudienceNode::kTagHas;
        n.column = r.column;
        n.lhs_inviter = r.inviter;
        n.code = r.column->Find(l.text);
        return Emit(std::move(n));
      }
      if (l.kind == Value::kAttribute && l.type == AttributeType::kCategory &&
          r.kind == Value::kStringList) {
        n.op = AudienceNode::kCatIn;
        n.column = l.column;
        n.lhs_inviter = l.inviter;
        for (const std::string& s : r.strings) {
          const int32_t c = l.column->Find(s);
          if (c >= 0) n.codes.push_back(c);
        }
        std::sort(n.codes.begin(), n.codes.end());
        return Emit(std::move(n));
      }
      if (l.kind == Value::kAttribute && l.IsNumber() &&
          r.kind == Value::kNumberList) {
        n.op = AudienceNode::kNumIn;
        n.lhs = l.AsNumber();
        n.values = r.numbers;
        std::sort(n.values.begin(), n.values.end());
        return Emit(std::move(n));
      }
      return TypeError(l, op, l, r);
    }
    // == != < <= > >=
    const bool equality = op == "==" || op == "!=";
    if (l.IsNumber() && r.IsNumber() &&
        (l.kind == Value::kAttribute || r.kind == Value::kAttribute)) {
      n.op = AudienceNode::kNumCompare;
      n.lhs = l.AsNumber();
      n.rhs = r.AsNumber();
      n.cmp = op == "=="   ? AudienceNode::kEq
              : op == "!=" ? AudienceNode::kNe
              : op == "<"  ? AudienceNode::kLt
              : op == "<=" ? AudienceNode::kLe
              : op == ">"  ? AudienceNode::kGt
                           : AudienceNode::kGe;
      return Emit(std::move(n));
    }
    if (equality) {
      n.negate = op == "!=";
      const Value* attr = nullptr;
      const Value* lit = nullptr;
      if (l.kind == Value::kAttribute && r.kind == Value::kString) {
        attr = &l, lit = &r;
      } else if (r.kind == Value::kAttribute && l.kind == Value::kString) {
        attr = &r, lit = &l;
      }
      if (attr != nullptr && attr->type == AttributeType::kCategory) {
        n.op = AudienceNode::kCatEq;
        n.column = attr->column;
        n.lhs_inviter = attr->inviter;
        n.code = attr->column->Find(lit->text);
        return Emit(std::move(n));
      }
      if (l.kind == Value::kAttribute && r.kind == Value::kAttribute &&
          l.type == AttributeType::kCategory && l.column == r.column) {
        n.op = AudienceNode::kCatSame;
        n.column = l.column;
        n.lhs_inviter = l.inviter;
        n.rhs_inviter = r.inviter;
        return Emit(std::move(n));
      }
      if (l.kind == Value::kAttribute && r.kind == Value::kAttribute &&
          l.type == AttributeType::kCategory &&
          r.type == AttributeType::kCategory) {
        return absl::InvalidArgumentError(absl::StrCat(
            "audience: '", op,
            "' compares a category with the same "
            "attribute only (region == inviter.region), not ",
            l.Describe(), " with ", r.Describe(), " at character ", l.pos + 1));
      }
    }
    return TypeError(l, op, l, r);
  }

  const internal::GraphData& g_;
  std::vector<Token> tokens_;
  size_t i_ = 0;
  int depth_ = 0;  // not / parentheses around the current position
  AudienceProgram* p_;
};

}  // namespace

absl::StatusOr<Audience> Audience::Compile(std::string_view expression,
                                           const SocialGraph& graph) {
  INVITEGRAPH_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(expression));
  if (tokens.size() == 1) {
    return absl::InvalidArgumentError(
        "audience: empty expression (use no audience for everyone)");
  }
  auto program = std::make_shared<AudienceProgram>();
  program->expression = std::string(expression);
  program->graph.emplace(graph);
  Compiler c(graph, std::move(tokens), program.get());
  INVITEGRAPH_RETURN_IF_ERROR(c.Run());
  Audience a;
  a.program_ = std::move(program);
  return a;
}

const std::string& Audience::expression() const {
  static const std::string* const kEmpty = new std::string;
  return program_ ? program_->expression : *kEmpty;
}

bool Audience::CompiledFor(const SocialGraph& graph) const {
  return program_ != nullptr && &program_->graph->data() == &graph.data();
}

bool Audience::Matches(NodeId inviter, NodeId candidate) const {
  return program_ == nullptr || program_->Matches(inviter, candidate);
}

}  // namespace invitegraph
