// The .hyena language. Newlines are insignificant: statements may end with ';' and the grammar
// needs no separator, so error recovery resynchronises on keywords and braces.
grammar Hyena;

file        : (importDecl | decl)* EOF ;
importDecl  : IMPORT STRING ';'? ;
decl        : opDecl | modelDecl ;

opDecl      : kind=(OP | BLOCK) name=IDENT '(' params? ')' '(' inputs? ')' '{' stmt* '}' ;
params      : param (',' param)* ','? ;
param       : name=IDENT ':' type=typeName ('=' expr)? ;
typeName    : IDENT | OP ;
inputs      : IDENT (',' IDENT)* ','? ;
modelDecl   : MODEL name=IDENT '{' stmt* '}' ;

stmt        : LET IDENT '=' expr ';'?                    # letStmt
            | OP IDENT '=' expr ';'?                     # opStmt
            | OUT expr ';'?                              # outStmt
            | target (',' target)* '=' expr ';'?         # assignStmt
            ;
target      : name=(IDENT | BLOCK) selector* ;   // `block` is also a model property
selector    : '[' expr ']'                               # indexSelector
            | '.' IDENT                                  # fieldSelector
            ;

expr        : '-' expr                                   # negExpr
            | expr op=('*' | '/' | '%') expr             # mulExpr
            | expr op=('+' | '-') expr                   # addExpr
            | primary                                    # primaryExpr
            ;
primary     : NUMBER                                     # numberLit
            | STRING                                     # stringLit
            | (TRUE | FALSE)                             # boolLit
            | IDENT '(' args? ')'                        # callExpr
            | IDENT                                      # nameExpr
            | '(' expr ')'                               # parenExpr
            | '[' (expr (',' expr)* ','?)? ']'           # listExpr
            ;
args        : arg (',' arg)* ','? ;
arg         : (IDENT '=')? expr ;

IMPORT  : 'import' ;
OP      : 'op' ;
BLOCK   : 'block' ;
MODEL   : 'model' ;
LET     : 'let' ;
OUT     : 'out' ;
TRUE    : 'true' ;
FALSE   : 'false' ;

NUMBER  : DIGITS ('.' [0-9_]*)? EXPONENT? | '.' DIGITS EXPONENT? ;
fragment DIGITS   : [0-9] [0-9_]* ;
fragment EXPONENT : [eE] [+-]? [0-9]+ ;
STRING  : '"' (~["\\\r\n] | '\\' ~[\r\n])* '"' ;
IDENT   : [a-zA-Z_] [a-zA-Z0-9_]* ;

LPAREN : '(' ; RPAREN : ')' ; LBRACE : '{' ; RBRACE : '}' ; LBRACK : '[' ; RBRACK : ']' ;
COMMA : ',' ; SEMI : ';' ; COLON : ':' ; DOT : '.' ; ASSIGN : '=' ;
PLUS : '+' ; MINUS : '-' ; STAR : '*' ; SLASH : '/' ; PERCENT : '%' ;

DOC_COMMENT   : '///' ~[\r\n]* -> channel(HIDDEN) ;
LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(HIDDEN) ;
WS            : [ \t\r\n\f]+ -> channel(HIDDEN) ;

// The lexer never fails: these become diagnostics and are hidden from the parser.
// No `*/` anywhere before the end: with `.*? EOF` this was the longest match for every block comment.
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF -> channel(HIDDEN) ;
UNTERMINATED_STRING  : '"' (~["\\\r\n] | '\\' ~[\r\n])* '\\'? ;
BAD_CHAR             : . -> channel(HIDDEN) ;
