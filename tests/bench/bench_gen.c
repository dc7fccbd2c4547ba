/*
 * bench_gen.c - reproducible benchmark data for the rule engine: Mastodon
 * status.created webhook envelopes and directories of realistic rules.
 *
 *   bench_gen events N SEED > events.jsonl
 *   bench_gen rules N SEED DIR
 *
 * Events are one JSON document per line, shaped like REST::StatusSerializer
 * inside REST::Admin::WebhookEventSerializer (formats.md A.1.4): a local
 * account (webhooks carry local posts only) with a created_at at midnight
 * 0-2000 days before the post, Mastodon's HTML (<p>, <br>, h-card mentions,
 * hashtag links, links cut into <span class="invisible"> pieces, &amp; and
 * &#39;), posts in eight languages, emoji, media with alt text.  About 5 %
 * are spam: crypto giveaways, casino bonuses, work-from-home money, mention
 * floods and the same texts in lookalike letters (Cyrillic, Greek,
 * fullwidth, mathematical), from young accounts linking to spam hosts.
 *
 * Rule directories hold N rules spread over several files, written the way
 * a mod team writes them: phrase alternations with \b and bounded gaps,
 * keyword lists, host blocklists, URL, hashtag, account and bio patterns,
 * conditions on account age, followers, mentions, visibility and kind, a
 * third caseless, a few :raw tests and a few PCRE-only constructs
 * (backreferences, lookaround) so every matcher path runs.  About a fifth
 * use the vocabulary and hosts of the corpus's spam, so a realistic share
 * of events is proposed for action; the rest are plausible but do not
 * occur.  The first ten rules are a fixed core, so small sets still catch
 * the spam.
 *
 * Determinism: output depends only on (N, SEED): a splitmix64 generator,
 * integer arithmetic only (no libm, no locale, no clock), and each event
 * or rule draws from its own stream derived from (SEED, index), so event i
 * is the same whatever N is.  Spam vocabulary and hosts are fixed tables
 * shared by both generators, so any rule seed fits any event seed.
 *
 * Deliberately not here: reports and account events (the bench measures
 * status matching), realistic ids of remote objects, valid blurhashes.
 * The file depends on libc only; the tests include it with
 * BENCH_GEN_NO_MAIN defined to call the generators in-process.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "moderd.h"

/* Counts of one bench_gen_events() run. */
struct bench_gen_stats {
	uint64_t events;
	uint64_t spam;
	uint64_t bytes;
};

/*
 * bench_gen_events: write n status.created envelopes, one per line, to fp.
 * st may be NULL.  Returns 0 or MOD_EIO.
 */
int bench_gen_events(
    FILE *fp, uint64_t n, uint64_t seed, struct bench_gen_stats *st);

/*
 * bench_gen_rules: write n rules as *.rules files into dir (created if
 * missing; existing files of the same names are replaced).  Returns 0 or
 * MOD_EIO.
 */
int bench_gen_rules(const char *dir, unsigned n, uint64_t seed);

#define BENCH_GEN_BASE_MS INT64_C(1740787200000) /* 2025-03-01T00:00Z */
#define BENCH_GEN_DAY_MS INT64_C(86400000)
#define BENCH_GEN_STEP_MS 2000 /* mean time between posts */
#define BENCH_GEN_HOST "bench.social" /* the local instance */
#define BENCH_GEN_ACCOUNTS 20000 /* ordinary accounts */
#define BENCH_GEN_SPAMMERS 2000 /* spam accounts */
#define BENCH_GEN_SPAM_HOSTS 60 /* spam hosts 0..59 occur */
#define BENCH_GEN_SPAM_PERMILLE 50
#define BENCH_GEN_MAX_MENTIONS 24
#define BENCH_GEN_MAX_TAGS 8
#define BENCH_GEN_NAME_BYTES 64
#define BENCH_GEN_URL_BYTES 256
#define BENCH_GEN_CORE_RULES 10

/* ---- random numbers ---------------------------------------------------- */

struct bench_gen_rng {
	uint64_t s;
};

static uint64_t
bench_gen_next(struct bench_gen_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A stream of its own for item `idx` of kind `salt` under `seed`. */
static void
bench_gen_seed(
    struct bench_gen_rng *r, uint64_t seed, uint64_t salt, uint64_t idx)
{
	r->s = seed ^ (salt * UINT64_C(0xd1b54a32d192ed03));
	r->s = bench_gen_next(r) ^ idx;
	(void) bench_gen_next(r);
}

/* Uniform in [0, n); n > 0.  The modulo bias is irrelevant here. */
static uint32_t
bench_gen_below(struct bench_gen_rng *r, uint32_t n)
{
	return (uint32_t) (bench_gen_next(r) % n);
}

static uint32_t
bench_gen_range(struct bench_gen_rng *r, uint32_t lo, uint32_t hi)
{
	return lo + bench_gen_below(r, hi - lo + 1);
}

static bool
bench_gen_chance(struct bench_gen_rng *r, uint32_t permille)
{
	return bench_gen_below(r, 1000) < permille;
}

/* Roughly log-uniform up to 10^digits - 1, as follower counts are. */
static uint32_t
bench_gen_magnitude(struct bench_gen_rng *r, uint32_t digits)
{
	uint32_t d = bench_gen_range(r, 1, digits), lim = 1;

	while (d-- > 0)
		lim *= 10;
	return bench_gen_below(r, lim);
}

#define BENCH_GEN_PICK(r, tab) ((tab)[bench_gen_below((r), nitems(tab))])

/* ---- output buffer -------------------------------------------------------
 */

struct bench_gen_buf {
	char  *p;
	size_t len;
	size_t cap;
};

static void
bench_gen_reserve(struct bench_gen_buf *b, size_t n)
{
	if (b->len + n + 1 <= b->cap)
		return;
	while (b->len + n + 1 > b->cap)
		b->cap = b->cap ? b->cap * 2 : 4096;
	if ((b->p = realloc(b->p, b->cap)) == NULL) {
		fprintf(stderr, "bench_gen: out of memory\n");
		abort();
	}
}

static void
bench_gen_putn(struct bench_gen_buf *b, const char *s, size_t n)
{
	bench_gen_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
bench_gen_puts(struct bench_gen_buf *b, const char *s)
{
	bench_gen_putn(b, s, strlen(s));
}

static void
bench_gen_putc(struct bench_gen_buf *b, char c)
{
	bench_gen_putn(b, &c, 1);
}

static void bench_gen_printf(struct bench_gen_buf *b, const char *fmt, ...)
    MOD_PRINTF(2, 3);

static void
bench_gen_printf(struct bench_gen_buf *b, const char *fmt, ...)
{
	va_list ap;
	int     n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	bench_gen_reserve(b, (size_t) n);
	va_start(ap, fmt);
	(void) vsnprintf(b->p + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/* A JSON string literal, quotes included; s is valid UTF-8. */
static void
bench_gen_json(struct bench_gen_buf *b, const char *s, size_t n)
{
	size_t i;

	bench_gen_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\') {
			bench_gen_putc(b, '\\');
			bench_gen_putc(b, (char) c);
		} else if (c == '\n')
			bench_gen_puts(b, "\\n");
		else if (c < 0x20)
			bench_gen_printf(b, "\\u%04x", c);
		else
			bench_gen_putc(b, (char) c);
	}
	bench_gen_putc(b, '"');
}

static void
bench_gen_jsons(struct bench_gen_buf *b, const char *s)
{
	bench_gen_json(b, s, strlen(s));
}

/* Text into HTML the way Mastodon escapes it. */
static void
bench_gen_html_esc(struct bench_gen_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			bench_gen_puts(b, "&amp;");
			break;
		case '<':
			bench_gen_puts(b, "&lt;");
			break;
		case '>':
			bench_gen_puts(b, "&gt;");
			break;
		case '"':
			bench_gen_puts(b, "&quot;");
			break;
		case '\'':
			bench_gen_puts(b, "&#39;");
			break;
		default:
			bench_gen_putc(b, s[i]);
		}
	}
}

/* ---- time ----------------------------------------------------------------
 */

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void
bench_gen_civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t  era, z = days + 719468;
	unsigned doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t) yoe + era * 400 + (*m <= 2);
}

/* "2025-03-01T09:12:44.120Z" (quoted) or "2025-03-01" for date_only. */
static void
bench_gen_time(struct bench_gen_buf *b, int64_t ms, bool date_only)
{
	int64_t  y, days = ms / BENCH_GEN_DAY_MS;
	int64_t  rem = ms % BENCH_GEN_DAY_MS;
	unsigned m, d;

	bench_gen_civil(days, &y, &m, &d);
	if (date_only) {
		bench_gen_printf(b, "\"%04" PRId64 "-%02u-%02u\"", y, m, d);
		return;
	}
	bench_gen_printf(b, "\"%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03uZ\"",
	    y, m, d, (unsigned) (rem / 3600000), (unsigned) (rem / 60000 % 60),
	    (unsigned) (rem / 1000 % 60), (unsigned) (rem % 1000));
}

/* ---- vocabulary ------------------------------------------------------- */

static const char *const bench_gen_words_en[] = { "the", "a", "today",
	"morning", "coffee", "garden", "cat", "dog", "walk", "park", "rain",
	"sun", "weekend", "book", "reading", "music", "album", "concert",
	"friends", "family", "dinner", "cooking", "bread", "soup", "train",
	"bike", "city", "river", "mountain", "photo", "camera", "light",
	"winter", "summer", "spring", "project", "code", "bug", "release",
	"open", "source", "free", "software", "community", "server", "update",
	"meeting", "work", "office", "home", "sleep", "tired", "happy",
	"really", "nice", "beautiful", "quiet", "little", "big", "new", "old",
	"first", "last", "great", "good", "finally", "still", "again", "just",
	"think", "love", "like", "want", "need", "get", "found", "made", "saw",
	"read", "wrote", "tried", "learned", "don't", "can't", "it's", "I'm",
	"that's", "with", "about", "from", "after", "before", "because", "and",
	"but", "or", "so", "very", "some", "every", "this", "my", "our",
	"people", "time", "year", "week", "day", "night", "birds", "flowers",
	"tea", "museum", "library", "history", "science", "election", "news",
	"article", "thread", "question", "help", "thanks", "&", "<3",
	"\"quote\"" };

static const char *const bench_gen_words_de[] = { "heute", "morgen", "Kaffee",
	"Garten", "Katze", "Hund", "Spaziergang", "Regen", "Sonne",
	"Wochenende", "Buch", "lesen", "Musik", "Konzert", "Freunde",
	"Familie", "Abendessen", "kochen", "Brot", "Suppe", "Zug", "Fahrrad",
	"Stadt", "Fluss", "Berg", "Foto", "Licht", "Winter", "Sommer",
	"Frühling", "Herbst", "Projekt", "Fehler", "Gemeinschaft", "Server",
	"Arbeit", "Büro", "Zuhause", "schlafen", "müde", "glücklich",
	"wirklich", "schön", "ruhig", "klein", "groß", "neu", "alt", "endlich",
	"noch", "wieder", "nur", "denke", "liebe", "brauche", "gefunden",
	"gemacht", "gesehen", "gelesen", "geschrieben", "versucht", "gelernt",
	"und", "aber", "oder", "sehr", "jeden", "dieser", "unser", "Leute",
	"Zeit", "Jahr", "Woche", "Tag", "Nacht", "Vögel", "Blumen", "Tee",
	"Museum", "Bibliothek", "Geschichte", "Wissenschaft", "Wahl",
	"Nachrichten", "Artikel", "Frage", "Hilfe", "danke", "über", "für",
	"mit", "nach", "vor", "weil", "Straße", "Bahnhof", "Wetter",
	"gemütlich", "Kuchen", "Feierabend", "Käse", "Äpfel" };

static const char *const bench_gen_words_fr[] = { "aujourd'hui", "matin",
	"café", "jardin", "chat", "chien", "promenade", "pluie", "soleil",
	"week-end", "livre", "lire", "musique", "concert", "amis", "famille",
	"dîner", "cuisine", "pain", "soupe", "train", "vélo", "ville",
	"rivière", "montagne", "photo", "lumière", "hiver", "été", "printemps",
	"automne", "projet", "bogue", "communauté", "serveur", "travail",
	"bureau", "maison", "dormir", "fatigué", "heureux", "vraiment", "beau",
	"calme", "petit", "grand", "nouveau", "vieux", "enfin", "encore",
	"toujours", "seulement", "pense", "aime", "besoin", "trouvé", "fait",
	"vu", "lu", "écrit", "essayé", "appris", "et", "mais", "ou", "très",
	"chaque", "ce", "notre", "leur", "gens", "temps", "année", "semaine",
	"jour", "nuit", "oiseaux", "fleurs", "thé", "musée", "bibliothèque",
	"histoire", "science", "élection", "nouvelles", "article", "question",
	"aide", "merci", "avec", "pour", "après", "avant", "parce", "l'été",
	"c'est", "j'ai", "qu'il", "fromage", "boulangerie", "gare", "«", "»" };

static const char *const bench_gen_words_es[] = { "hoy", "mañana", "café",
	"jardín", "gato", "perro", "paseo", "lluvia", "sol", "libro", "leer",
	"música", "concierto", "amigos", "familia", "cena", "cocinar", "pan",
	"sopa", "tren", "bicicleta", "ciudad", "río", "montaña", "foto", "luz",
	"invierno", "verano", "primavera", "otoño", "proyecto", "error",
	"comunidad", "servidor", "trabajo", "oficina", "casa", "dormir",
	"cansado", "feliz", "realmente", "bonito", "tranquilo", "pequeño",
	"grande", "nuevo", "viejo", "finalmente", "todavía", "otra", "vez",
	"solo", "pienso", "amo", "necesito", "encontré", "hice", "vi", "leí",
	"escribí", "intenté", "aprendí", "y", "pero", "o", "muy", "cada",
	"este", "nuestro", "su", "gente", "tiempo", "año", "semana", "día",
	"noche", "pájaros", "flores", "té", "museo", "biblioteca", "historia",
	"ciencia", "elecciones", "noticias", "artículo", "pregunta", "ayuda",
	"gracias", "con", "para", "después", "antes", "porque", "¿qué", "tal?",
	"¡hola!", "mercado", "playa", "calle", "estación" };

static const char *const bench_gen_words_pt[] = { "hoje", "manhã", "café",
	"jardim", "gato", "cachorro", "passeio", "chuva", "sol", "livro",
	"ler", "música", "show", "amigos", "família", "jantar", "cozinhar",
	"pão", "sopa", "trem", "bicicleta", "cidade", "rio", "montanha",
	"foto", "luz", "inverno", "verão", "primavera", "outono", "projeto",
	"erro", "comunidade", "servidor", "trabalho", "escritório", "casa",
	"dormir", "cansado", "feliz", "realmente", "bonito", "tranquilo",
	"pequeno", "grande", "novo", "velho", "finalmente", "ainda", "saudade",
	"obrigado", "com", "para", "depois", "antes", "porque", "gente",
	"tempo", "ano", "semana", "dia", "noite", "pássaros", "flores", "chá",
	"museu", "biblioteca", "história", "ciência", "eleição", "notícias",
	"artigo", "pergunta", "ajuda", "e", "mas", "ou", "muito", "cada",
	"este", "nosso", "praia", "rua", "estação", "feira", "coração", "não",
	"também", "você", "está", "são", "pensei", "amei", "preciso",
	"encontrei", "fiz", "vi", "li", "escrevi", "tentei", "aprendi" };

static const char *const bench_gen_words_ru[] = { "сегодня", "утро", "кофе",
	"сад", "кошка", "собака", "прогулка", "дождь", "солнце", "выходные",
	"книга", "читать", "музыка", "концерт", "друзья", "семья", "ужин",
	"готовить", "хлеб", "суп", "поезд", "велосипед", "город", "река",
	"гора", "фото", "свет", "зима", "лето", "весна", "осень", "проект",
	"ошибка", "сообщество", "сервер", "работа", "офис", "дом", "спать",
	"устал", "счастлив", "действительно", "красиво", "тихо", "маленький",
	"большой", "новый", "старый", "наконец", "ещё", "снова", "только",
	"думаю", "люблю", "нужно", "нашёл", "сделал", "видел", "прочитал",
	"написал", "пробовал", "узнал", "и", "но", "или", "очень", "каждый",
	"этот", "наш", "их", "люди", "время", "год", "неделя", "день", "ночь",
	"птицы", "цветы", "чай", "музей", "библиотека", "история", "наука",
	"выборы", "новости", "статья", "вопрос", "помощь", "спасибо", "с",
	"для", "после", "до", "потому", "что", "улица", "вокзал", "погода" };

static const char *const bench_gen_words_ja[] = { "今日", "朝", "コーヒー",
	"庭", "猫", "犬", "散歩", "雨", "太陽", "週末", "本", "読書", "音楽",
	"コンサート", "友達", "家族", "夕食", "料理", "パン", "スープ", "電車",
	"自転車", "街", "川", "山", "写真", "光", "冬", "夏", "春", "秋",
	"プロジェクト", "バグ", "コミュニティ", "サーバー", "仕事", "会社",
	"家", "寝る", "疲れた", "嬉しい", "本当に", "きれい", "静か", "小さい",
	"大きい", "新しい", "古い", "やっと", "まだ", "また", "だけ", "思う",
	"好き", "必要", "見つけた", "作った", "見た", "読んだ", "書いた",
	"試した", "学んだ", "と", "でも", "とても", "毎日", "この", "私たち",
	"人", "時間", "年", "週", "日", "夜", "鳥", "花", "お茶", "博物館",
	"図書館", "歴史", "科学", "選挙", "ニュース", "記事", "質問", "助けて",
	"ありがとう", "は", "が", "を", "に", "で", "から", "です", "ました",
	"ですね", "ラーメン", "桜", "駅", "天気", "ｶﾀｶﾅ" };

static const char *const bench_gen_words_ar[] = { "اليوم", "صباح", "قهوة",
	"حديقة", "قطة", "كلب", "نزهة", "مطر", "شمس", "عطلة", "كتاب", "قراءة",
	"موسيقى", "حفلة", "أصدقاء", "عائلة", "عشاء", "طبخ", "خبز", "حساء",
	"قطار", "دراجة", "مدينة", "نهر", "جبل", "صورة", "ضوء", "شتاء", "صيف",
	"ربيع", "خريف", "مشروع", "خطأ", "مجتمع", "خادم", "عمل", "مكتب", "بيت",
	"نوم", "متعب", "سعيد", "حقا", "جميل", "هادئ", "صغير", "كبير", "جديد",
	"قديم", "أخيرا", "لا", "يزال", "مرة", "أخرى", "فقط", "أفكر", "أحب",
	"أحتاج", "وجدت", "صنعت", "رأيت", "قرأت", "كتبت", "حاولت", "تعلمت", "و",
	"لكن", "أو", "جدا", "كل", "هذا", "لنا", "الناس", "وقت", "سنة", "أسبوع",
	"يوم", "ليلة", "طيور", "زهور", "شاي", "متحف", "مكتبة", "تاريخ", "علم",
	"انتخابات", "أخبار", "مقال", "سؤال", "مساعدة", "شكرا", "مع", "من",
	"بعد", "قبل", "لأن", "شارع", "محطة", "طقس", "سوق" };

static const char *const bench_gen_tags_any[] = { "caturday", "photography",
	"opensource", "linux", "gardening", "books", "music", "coffee",
	"fediverse", "mastodon", "birds", "art", "science", "climate",
	"cooking", "running", "cycling", "hiking", "rust", "python", "foss",
	"privacy", "history", "astronomy", "knitting", "vegan",
	"dogsofmastodon", "introduction", "silentsunday", "mosstodon" };

static const char *const bench_gen_tags_local[]
    = { "katzen", "fotografie", "garten", "lecture", "musique", "photographie",
	      "fotografía", "música", "noticias", "leitura", "natureza",
	      "写真", "猫", "桜", "кошки", "фото", "صباح", "شعر" };

struct bench_gen_lang {
	const char        *code;
	const char *const *words;
	size_t             nwords;
	unsigned           permille; /* share of posts */
	bool               spaced; /* false: words run together (CJK) */
	const char        *stops[3]; /* sentence ends */
};

#define BENCH_GEN_WORDS(w) (w), nitems(w)
static const struct bench_gen_lang bench_gen_langs[] = {
	{ "en", BENCH_GEN_WORDS(bench_gen_words_en), 440, true,
	    { ".", "!", "?" } },
	{ "de", BENCH_GEN_WORDS(bench_gen_words_de), 150, true,
	    { ".", "!", "…" } },
	{ "ja", BENCH_GEN_WORDS(bench_gen_words_ja), 110, false,
	    { "。", "！", "？" } },
	{ "fr", BENCH_GEN_WORDS(bench_gen_words_fr), 80, true,
	    { ".", " !", " ?" } },
	{ "es", BENCH_GEN_WORDS(bench_gen_words_es), 80, true,
	    { ".", "!", "..." } },
	{ "pt", BENCH_GEN_WORDS(bench_gen_words_pt), 60, true,
	    { ".", "!", "?" } },
	{ "ru", BENCH_GEN_WORDS(bench_gen_words_ru), 50, true,
	    { ".", "!", "?" } },
	{ "ar", BENCH_GEN_WORDS(bench_gen_words_ar), 30, true,
	    { ".", "!", "؟" } },
};

static const char *const bench_gen_emoji[] = { "😀", "😂", "🎉", "❤️", "🌻",
	"🐈", "☕", "🚀", "👍", "🙏", "🌍", "📚", "🎶", "🌧️", "☀️",
	"🏳️‍🌈", "✨", "😅", "🤔", "🥳", "👩🏽‍💻", "🇩🇪" };

static const char *const bench_gen_first[] = { "alice", "bob", "carol", "dave",
	"erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar",
	"peggy", "rupert", "sybil", "trent", "victor", "wendy", "anna",
	"lukas", "marie", "jonas", "lea", "felix", "chloe", "hugo", "lucia",
	"mateo", "sofia", "joao", "beatriz", "yuki", "haruto", "sakura",
	"olga", "dmitri", "fatima", "omar", "layla", "noor", "sam", "alex",
	"kim", "robin", "charlie", "jamie", "taylor", "morgan" };

static const char *const bench_gen_last[] = { "Smith", "Müller", "Schmidt",
	"Dubois", "García", "Silva", "Tanaka", "Ivanova", "Haddad", "Nguyen",
	"Okafor", "Kowalski", "Rossi", "Jensen", "O'Brien" };

static const char *const bench_gen_names_local[]
    = { "さくら", "田中 太郎", "Анна", "Дмитрий", "فاطمة", "عمر", "Zoë",
	      "Ægir", "Łukasz", "Đorđe", "Renée" };

static const char *const bench_gen_peer_hosts[] = { "mastodon.social",
	"fosstodon.org", "hachyderm.io", "chaos.social", "mstdn.jp",
	"mastodon.art", "social.tchncs.de", "piaille.fr", "mas.to",
	"infosec.exchange", "mastodon.online", "floss.social" };

static const char *const bench_gen_spoilers[] = { "politics", "food",
	"mental health", "long post", "spoilers for the finale", "eye contact",
	"US politics", "Corona", "Wahl" };

static const char *const bench_gen_alt[] = { "A cat sleeping on a keyboard",
	"Sunset over the river with orange clouds",
	"Screenshot of a terminal showing a compiler error",
	"Eine Katze auf dem Sofa", "Un chat qui dort au soleil",
	"Un perro corriendo en la playa", "桜の木と青い空",
	"Фото осеннего парка", "Bread fresh out of the oven",
	"Chart of CPU usage over a week", "Hand-drawn map of a small town" };

/* ---- spam vocabulary (shared with the rule generator) ------------------ */

static const char *const bench_gen_coins[]
    = { "BTC", "ETH", "USDT", "Bitcoin", "Ethereum", "SOL", "BNB", "tokens" };
static const char *const bench_gen_claims[]
    = { "Claim", "Get", "Receive", "Grab", "Win" };
static const char *const bench_gen_promos[]
    = { "giveaway", "airdrop", "presale", "reward" };
static const char *const bench_gen_celebs[]
    = { "Elon Musk", "Vitalik", "Binance", "Coinbase", "MrBeast" };
static const char *const bench_gen_urgency[]
    = { "Limited time!", "Hurry, only today!", "Last chance ⏳",
	      "Ends in 24 hours!", "Don't miss out!" };
static const char *const bench_gen_casinos[]
    = { "casino", "slots", "jackpot", "roulette", "poker" };
static const char *const bench_gen_spam_tags[]
    = { "crypto", "bitcoin", "btc", "airdrop", "giveaway", "eth", "casino",
	      "slots", "bonus", "money", "forex", "nft" };
static const char *const bench_gen_spam_users[]
    = { "crypto", "btcqueen", "lucky", "casino", "forex", "invest", "elon",
	      "support", "rich", "bonus", "jessica", "anna" };
static const char *const bench_gen_spam_names[]
    = { "Elon Musk 🚀", "Crypto Queen 💰", "Binance Support", "Lucky Casino 🎰",
	      "Anna | Forex Trader", "Free BTC Daily", "Jessica 💋",
	      "Investment Help Desk", "ＦＲＥＥ ＢＴＣ", "Official Giveaway" };
static const char *const bench_gen_spam_notes[]
    = { "💰 Crypto investor | DM for signals 📈 | 100% profit guaranteed",
	      "Message me to start investing. Trading signals every day.",
	      "Official giveaway account. Claim your reward below 👇",
	      "Best casino bonuses every day 🎰 free spins for new players",
	      "Work from home and earn $500 per day. DM me for details." };

static const char *const bench_gen_host_a[]
    = { "free", "claim", "get", "crypto", "btc", "eth", "lucky", "royal",
	      "vegas", "bonus", "airdrop", "wallet", "promo", "win", "gift" };
static const char *const bench_gen_host_b[]
    = { "btc", "coin", "casino", "spins", "giveaway", "reward", "drop",
	      "slots", "token", "cash", "prize", "deal" };
static const char *const bench_gen_host_tld[] = { "xyz", "top", "click",
	"live", "online", "site", "bet", "win", "icu", "shop", "fun", "io" };

/* Spam host number i: unique for every i; 0..BENCH_GEN_SPAM_HOSTS-1
 * appear in the corpus. */
static void
bench_gen_spam_host(uint32_t i, char *out, size_t outsz)
{
	size_t na = nitems(bench_gen_host_a), nb = nitems(bench_gen_host_b);

	(void) snprintf(out, outsz, "%s-%s%u.%s", bench_gen_host_a[i % na],
	    bench_gen_host_b[(i * 7 + i / na) % nb], 100 + i * 7,
	    bench_gen_host_tld[(i / 3) % nitems(bench_gen_host_tld)]);
}

/* ---- lookalike letters ---------------------------------------------------
 */

struct bench_gen_glyph {
	char        c;
	const char *s;
};

static const struct bench_gen_glyph bench_gen_cyrillic[] = { { 'a', "а" },
	{ 'c', "с" }, { 'e', "е" }, { 'o', "о" }, { 'p', "р" }, { 'x', "х" },
	{ 'y', "у" }, { 'i', "і" }, { 's', "ѕ" }, { 'j', "ј" }, { 'A', "А" },
	{ 'B', "В" }, { 'C', "С" }, { 'E', "Е" }, { 'H', "Н" }, { 'K', "К" },
	{ 'M', "М" }, { 'O', "О" }, { 'P', "Р" }, { 'T', "Т" }, { 'X', "Х" } };

static const struct bench_gen_glyph bench_gen_greek[] = { { 'o', "ο" },
	{ 'v', "ν" }, { 'A', "Α" }, { 'B', "Β" }, { 'E', "Ε" }, { 'H', "Η" },
	{ 'I', "Ι" }, { 'K', "Κ" }, { 'M', "Μ" }, { 'N', "Ν" }, { 'O', "Ο" },
	{ 'P', "Ρ" }, { 'T', "Τ" }, { 'X', "Χ" }, { 'Y', "Υ" }, { 'Z', "Ζ" } };

enum bench_gen_confuse {
	BENCH_GEN_PLAIN,
	BENCH_GEN_CYRILLIC,
	BENCH_GEN_GREEK,
	BENCH_GEN_FULLWIDTH,
	BENCH_GEN_MATH
};

static void
bench_gen_utf8(struct bench_gen_buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x10000) {
		u[0] = (char) (0xe0 | (cp >> 12));
		u[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char) (0x80 | (cp & 0x3f));
		bench_gen_putn(b, u, 3);
		return;
	}
	u[0] = (char) (0xf0 | (cp >> 18));
	u[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
	u[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
	u[3] = (char) (0x80 | (cp & 0x3f));
	bench_gen_putn(b, u, 4);
}

static const char *
bench_gen_glyph_find(const struct bench_gen_glyph *g, size_t n, char c)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].c == c)
			return g[i].s;
	return NULL;
}

/* One ASCII character, swapped for a lookalike about half the time. */
static void
bench_gen_confuse_char(
    struct bench_gen_buf *b, struct bench_gen_rng *r, unsigned mode, char c)
{
	const char *s = NULL;
	bool        alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

	if (!alpha || !bench_gen_chance(r, 500)) {
		bench_gen_putc(b, c);
		return;
	}
	if (mode == BENCH_GEN_CYRILLIC)
		s = bench_gen_glyph_find(
		    bench_gen_cyrillic, nitems(bench_gen_cyrillic), c);
	else if (mode == BENCH_GEN_GREEK)
		s = bench_gen_glyph_find(
		    bench_gen_greek, nitems(bench_gen_greek), c);
	if (s != NULL)
		bench_gen_puts(b, s);
	else if (mode == BENCH_GEN_FULLWIDTH)
		bench_gen_utf8(b, 0xff00u + (uint32_t) (c - 0x20));
	else if (mode == BENCH_GEN_MATH)
		bench_gen_utf8(b,
		    c >= 'a' ? 0x1d41au + (uint32_t) (c - 'a')
		             : 0x1d400u + (uint32_t) (c - 'A'));
	else
		bench_gen_putc(b, c);
}

/* ---- accounts ------------------------------------------------------------
 */

struct bench_gen_account {
	uint64_t                     id;
	uint64_t                     note_seed;
	const struct bench_gen_lang *lang;
	char                         username[BENCH_GEN_NAME_BYTES];
	char                         display[BENCH_GEN_NAME_BYTES * 2];
	int64_t                      created_ms;
	uint32_t                     followers, following, statuses;
	bool                         spam;
	bool                         bot;
	bool                         avatar;
};

static const struct bench_gen_lang *
bench_gen_lang_pick(struct bench_gen_rng *r)
{
	uint32_t x = bench_gen_below(r, 1000);
	size_t   i;

	for (i = 0; i + 1 < nitems(bench_gen_langs); i++) {
		if (x < bench_gen_langs[i].permille)
			break;
		x -= bench_gen_langs[i].permille;
	}
	return &bench_gen_langs[i];
}

static void
bench_gen_display_name(struct bench_gen_rng *r, struct bench_gen_account *a)
{
	const char *first = BENCH_GEN_PICK(r, bench_gen_first);
	uint32_t    k = bench_gen_below(r, 10);

	if (k < 2)
		(void) snprintf(a->display, sizeof(a->display), "%s",
		    BENCH_GEN_PICK(r, bench_gen_names_local));
	else if (k < 5)
		(void) snprintf(a->display, sizeof(a->display), "%c%s %s",
		    first[0] - 'a' + 'A', first + 1,
		    BENCH_GEN_PICK(r, bench_gen_last));
	else if (k < 7)
		(void) snprintf(a->display, sizeof(a->display), "%c%s %s",
		    first[0] - 'a' + 'A', first + 1,
		    BENCH_GEN_PICK(r, bench_gen_emoji));
	else if (k < 9)
		(void) snprintf(
		    a->display, sizeof(a->display), "%s", a->username);
	else
		a->display[0] = '\0';
}

static void
bench_gen_account_normal(struct bench_gen_rng *r, struct bench_gen_account *a)
{
	const char *first = BENCH_GEN_PICK(r, bench_gen_first);
	uint32_t    k = bench_gen_below(r, 4);

	if (k == 0)
		(void) snprintf(a->username, sizeof(a->username), "%s", first);
	else if (k == 1)
		(void) snprintf(a->username, sizeof(a->username), "%s%u",
		    first, bench_gen_below(r, 100));
	else
		(void) snprintf(a->username, sizeof(a->username), "%s_%s",
		    first, BENCH_GEN_PICK(r, bench_gen_tags_any));
	bench_gen_display_name(r, a);
	a->lang = bench_gen_lang_pick(r);
	a->created_ms = BENCH_GEN_BASE_MS
	    - (int64_t) bench_gen_below(r, 2001) * BENCH_GEN_DAY_MS;
	a->followers = bench_gen_magnitude(r, 5);
	a->following = bench_gen_magnitude(r, 4);
	a->statuses = bench_gen_magnitude(r, 5) + 1;
	a->bot = bench_gen_chance(r, 20);
	a->avatar = bench_gen_chance(r, 800);
}

static void
bench_gen_account_spam(struct bench_gen_rng *r, struct bench_gen_account *a)
{
	uint32_t    days = bench_gen_chance(r, 800) ? bench_gen_below(r, 11)
	                                            : bench_gen_below(r, 400);
	const char *w = BENCH_GEN_PICK(r, bench_gen_spam_users);

	/* one draw per statement: argument order is unspecified in C */
	if (bench_gen_chance(r, 700))
		(void) snprintf(a->username, sizeof(a->username), "%s%u", w,
		    bench_gen_range(r, 10000, 999999));
	else
		(void) snprintf(a->username, sizeof(a->username), "%s_%s", w,
		    BENCH_GEN_PICK(r, bench_gen_first));
	(void) snprintf(a->display, sizeof(a->display), "%s",
	    BENCH_GEN_PICK(r, bench_gen_spam_names));
	a->lang = &bench_gen_langs[0];
	a->created_ms = BENCH_GEN_BASE_MS - (int64_t) days * BENCH_GEN_DAY_MS;
	a->followers = bench_gen_below(r, 30);
	a->following = bench_gen_magnitude(r, 3);
	a->statuses = bench_gen_below(r, 60) + 1;
	a->avatar = bench_gen_chance(r, 500);
}

/* Account k of the ordinary or the spam pool: the same for every post. */
static void
bench_gen_account_make(
    uint64_t seed, uint64_t k, bool spam, struct bench_gen_account *a)
{
	struct bench_gen_rng r;

	memset(a, 0, sizeof(*a));
	bench_gen_seed(&r, seed, spam ? 3 : 2, k);
	a->spam = spam;
	if (spam)
		bench_gen_account_spam(&r, a);
	else
		bench_gen_account_normal(&r, a);
	a->id = ((uint64_t) a->created_ms << 16) | (k & 0xffff);
	a->note_seed = bench_gen_next(&r);
}

/* ---- HTML pieces ---------------------------------------------------------
 */

struct bench_gen_mention {
	const char *user;
	const char *host; /* NULL: local */
};

struct bench_gen_post {
	struct bench_gen_rng         r;
	uint64_t                     id;
	int64_t                      ms;
	const struct bench_gen_lang *lang;
	struct bench_gen_account     acct;
	unsigned                     spam; /* 0, or a spam kind + 1 */
	unsigned                     confuse; /* lookalike mode of the text */
	struct bench_gen_buf         html;
	struct bench_gen_mention     ment[BENCH_GEN_MAX_MENTIONS];
	size_t                       nment;
	const char                  *tags[BENCH_GEN_MAX_TAGS];
	size_t                       ntags;
	unsigned                     nmedia;
	const char                  *vis;
	const char                  *spoiler;
	bool                         reply;
};

/* Plain text into the content, escaped, in lookalikes for spam. */
static void
bench_gen_text(struct bench_gen_post *p, const char *s)
{
	struct bench_gen_buf t = { 0 };
	size_t               i;

	if (p->confuse == BENCH_GEN_PLAIN) {
		bench_gen_html_esc(&p->html, s, strlen(s));
		return;
	}
	for (i = 0; s[i] != '\0'; i++)
		bench_gen_confuse_char(&t, &p->r, p->confuse, s[i]);
	bench_gen_html_esc(&p->html, t.p, t.len);
	free(t.p);
}

/* Percent-encode the non-ASCII bytes of a URL path. */
static void
bench_gen_url_esc(struct bench_gen_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char) *s >= 0x80)
			bench_gen_printf(b, "%%%02X", (unsigned char) *s);
		else
			bench_gen_putc(b, *s);
	}
}

static void
bench_gen_mention_html(
    struct bench_gen_buf *b, const struct bench_gen_mention *m)
{
	bench_gen_printf(b,
	    "<span class=\"h-card\" translate=\"no\"><a "
	    "href=\"https://%s/@%s\""
	    " class=\"u-url mention\">@<span>%s</span></a></span>",
	    m->host ? m->host : BENCH_GEN_HOST, m->user, m->user);
}

static void
bench_gen_tag_html(struct bench_gen_buf *b, const char *tag, bool cap)
{
	bench_gen_puts(b, "<a href=\"https://" BENCH_GEN_HOST "/tags/");
	bench_gen_url_esc(b, tag);
	bench_gen_puts(b, "\" class=\"mention hashtag\" rel=\"tag\">#<span>");
	if (cap && tag[0] >= 'a' && tag[0] <= 'z') {
		bench_gen_putc(b, (char) (tag[0] - 'a' + 'A'));
		tag++;
	}
	bench_gen_puts(b, tag);
	bench_gen_puts(b, "</span></a>");
}

/* A link as Mastodon renders it: scheme (and www.) invisible, the first
 * 30 characters visible, the rest invisible behind an ellipsis. */
static void
bench_gen_link_html(struct bench_gen_buf *b, const char *url)
{
	const char *rest = strstr(url, "://");
	size_t      pre, n;

	rest = rest ? rest + 3 : url;
	if (strncmp(rest, "www.", 4) == 0)
		rest += 4;
	pre = (size_t) (rest - url);
	n = strlen(rest);
	bench_gen_puts(b, "<a href=\"");
	bench_gen_html_esc(b, url, strlen(url));
	bench_gen_puts(b,
	    "\" target=\"_blank\" rel=\"nofollow noopener "
	    "noreferrer\" translate=\"no\"><span "
	    "class=\"invisible\">");
	bench_gen_putn(b, url, pre);
	if (n > 30) {
		bench_gen_puts(b, "</span><span class=\"ellipsis\">");
		bench_gen_html_esc(b, rest, 30);
		bench_gen_puts(b, "</span><span class=\"invisible\">");
		bench_gen_html_esc(b, rest + 30, n - 30);
	} else {
		bench_gen_puts(b, "</span><span class=\"\">");
		bench_gen_html_esc(b, rest, n);
		bench_gen_puts(b, "</span><span class=\"invisible\">");
	}
	bench_gen_puts(b, "</span></a>");
}

static void
bench_gen_add_tag(struct bench_gen_post *p, const char *tag)
{
	size_t i;

	for (i = 0; i < p->ntags; i++)
		if (strcmp(p->tags[i], tag) == 0)
			return;
	if (p->ntags < BENCH_GEN_MAX_TAGS)
		p->tags[p->ntags++] = tag;
}

static void
bench_gen_add_mention(struct bench_gen_post *p)
{
	struct bench_gen_mention *m;

	if (p->nment >= BENCH_GEN_MAX_MENTIONS)
		return;
	m = &p->ment[p->nment++];
	m->user = BENCH_GEN_PICK(&p->r, bench_gen_first);
	m->host = bench_gen_chance(&p->r, 300)
	    ? NULL
	    : BENCH_GEN_PICK(&p->r, bench_gen_peer_hosts);
	bench_gen_mention_html(&p->html, m);
	bench_gen_putc(&p->html, ' ');
}

/* ---- ordinary posts ------------------------------------------------------
 */

static void
bench_gen_sentence(struct bench_gen_post *p, const struct bench_gen_lang *l)
{
	uint32_t n = bench_gen_range(&p->r, 4, 16), i;
	char     w[BENCH_GEN_NAME_BYTES];

	for (i = 0; i < n; i++) {
		(void) snprintf(w, sizeof(w), "%s",
		    l->words[bench_gen_below(&p->r, (uint32_t) l->nwords)]);
		if (i == 0 && w[0] >= 'a' && w[0] <= 'z')
			w[0] = (char) (w[0] - 'a' + 'A');
		if (i > 0 && l->spaced)
			bench_gen_putc(&p->html, ' ');
		bench_gen_text(p, w);
	}
	bench_gen_text(p, l->stops[bench_gen_below(&p->r, 3)]);
	if (bench_gen_chance(&p->r, 150)) {
		bench_gen_putc(&p->html, ' ');
		bench_gen_puts(
		    &p->html, BENCH_GEN_PICK(&p->r, bench_gen_emoji));
	}
}

static void
bench_gen_slug(struct bench_gen_buf *b, struct bench_gen_rng *r, char sep)
{
	uint32_t    n = bench_gen_range(r, 2, 6), i;
	const char *w;

	for (i = 0; i < n; i++) {
		do
			w = BENCH_GEN_PICK(r, bench_gen_words_en);
		while (w[0] < 'a' || w[0] > 'z' || strchr(w, '\'') != NULL);
		if (i > 0)
			bench_gen_putc(b, sep);
		bench_gen_puts(b, w);
	}
}

static void
bench_gen_normal_url(struct bench_gen_buf *b, struct bench_gen_rng *r)
{
	static const char *const yt = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
	                              "NOPQRSTUVWXYZ0123456789_-";
	uint32_t                 i;

	switch (bench_gen_below(r, 6)) {
	case 0:
		bench_gen_puts(b, "https://en.wikipedia.org/wiki/");
		bench_gen_slug(b, r, '_');
		break;
	case 1:
		bench_gen_printf(b, "https://github.com/%s/",
		    BENCH_GEN_PICK(r, bench_gen_first));
		bench_gen_slug(b, r, '-');
		break;
	case 2:
		bench_gen_printf(b,
		    "https://www.theguardian.com/world/2025/"
		    "mar/%02u/",
		    bench_gen_range(r, 1, 28));
		bench_gen_slug(b, r, '-');
		break;
	case 3:
		bench_gen_puts(b, "https://www.youtube.com/watch?v=");
		for (i = 0; i < 11; i++)
			bench_gen_putc(b, yt[bench_gen_below(r, 64)]);
		if (bench_gen_chance(r, 300))
			bench_gen_printf(b, "&t=%us", bench_gen_below(r, 600));
		break;
	case 4:
		bench_gen_printf(b, "https://%s.example.net/posts/",
		    BENCH_GEN_PICK(r, bench_gen_first));
		bench_gen_slug(b, r, '-');
		break;
	default:
		bench_gen_printf(b, "https://www.heise.de/news/");
		bench_gen_slug(b, r, '-');
		bench_gen_printf(
		    b, "-%u.html", bench_gen_range(r, 900000, 9900000));
	}
}

static void
bench_gen_normal_link(struct bench_gen_post *p)
{
	struct bench_gen_buf u = { 0 };

	bench_gen_normal_url(&u, &p->r);
	bench_gen_putc(&p->html, ' ');
	bench_gen_link_html(&p->html, u.p);
	free(u.p);
}

static void
bench_gen_normal_tags(struct bench_gen_post *p)
{
	uint32_t n = bench_gen_range(&p->r, 1, 4), i;
	bool     cap = bench_gen_chance(&p->r, 300);

	bench_gen_puts(&p->html, "</p><p>");
	for (i = 0; i < n; i++) {
		const char *t = bench_gen_chance(&p->r, 700)
		    ? BENCH_GEN_PICK(&p->r, bench_gen_tags_any)
		    : BENCH_GEN_PICK(&p->r, bench_gen_tags_local);

		if (i > 0)
			bench_gen_putc(&p->html, ' ');
		bench_gen_tag_html(&p->html, t, cap);
		bench_gen_add_tag(p, t);
	}
}

static void
bench_gen_normal_content(struct bench_gen_post *p)
{
	uint32_t npara = bench_gen_range(&p->r, 1, 3), i, j, ns;
	uint32_t nment = p->reply ? bench_gen_range(&p->r, 1, 3) : 0;

	bench_gen_puts(&p->html, "<p>");
	for (i = 0; i < nment; i++)
		bench_gen_add_mention(p);
	for (i = 0; i < npara; i++) {
		if (i > 0)
			bench_gen_puts(&p->html, "</p><p>");
		ns = bench_gen_range(&p->r, 1, 3);
		for (j = 0; j < ns; j++) {
			if (j > 0 && bench_gen_chance(&p->r, 250))
				bench_gen_puts(&p->html, "<br>");
			else if (j > 0 && p->lang->spaced)
				bench_gen_putc(&p->html, ' ');
			bench_gen_sentence(p, p->lang);
		}
	}
	if (bench_gen_chance(&p->r, 250))
		bench_gen_normal_link(p);
	if (bench_gen_chance(&p->r, 300))
		bench_gen_normal_tags(p);
	bench_gen_puts(&p->html, "</p>");
}

/* ---- spam posts ------------------------------------------------------- */

enum bench_gen_spam_kind {
	BENCH_GEN_SPAM_CRYPTO,
	BENCH_GEN_SPAM_CASINO,
	BENCH_GEN_SPAM_MONEY,
	BENCH_GEN_SPAM_FLOOD,
	BENCH_GEN_SPAM_KINDS
};

static void
bench_gen_spam_url(struct bench_gen_buf *b, struct bench_gen_rng *r)
{
	static const char *const sub[]
	    = { "", "", "", "www.", "claim.", "go." };
	char host[BENCH_GEN_URL_BYTES];

	bench_gen_spam_host(
	    bench_gen_below(r, BENCH_GEN_SPAM_HOSTS), host, sizeof(host));
	bench_gen_printf(b, "https://%s%s", BENCH_GEN_PICK(r, sub), host);
	switch (bench_gen_below(r, 4)) {
	case 0:
		bench_gen_printf(
		    b, "/claim?ref=%u", bench_gen_magnitude(r, 6));
		break;
	case 1:
		bench_gen_printf(b, "/promo/%c", 'A' + bench_gen_below(r, 26));
		bench_gen_printf(b, "%c", 'A' + bench_gen_below(r, 26));
		bench_gen_printf(b, "%u", bench_gen_below(r, 1000));
		break;
	case 2:
		bench_gen_printf(b, "/bonus?code=VIP%u&utm_source=masto",
		    bench_gen_below(r, 100));
		break;
	default:
		bench_gen_putc(b, '/');
	}
}

/* Draw n numbers in order (C leaves argument evaluation order open, so
 * the spam texts never call the generator inside an argument list). */
static void
bench_gen_draws(
    struct bench_gen_rng *r, uint32_t *v, const uint32_t *lim, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = bench_gen_below(r, lim[i]);
}

#define BENCH_GEN_T(tab) ((uint32_t) nitems(tab))

static void
bench_gen_spam_crypto(struct bench_gen_post *p)
{
	static const uint32_t lim[] = { BENCH_GEN_T(bench_gen_coins),
		BENCH_GEN_T(bench_gen_emoji), 2, BENCH_GEN_T(bench_gen_promos),
		BENCH_GEN_T(bench_gen_claims), 5, 9,
		BENCH_GEN_T(bench_gen_urgency), BENCH_GEN_T(bench_gen_celebs),
		9000, 4, 5, 4901, 3 };
	uint32_t              v[nitems(lim)];
	char                  s[512];
	const char           *coin;

	bench_gen_draws(&p->r, v, lim, nitems(lim));
	coin = bench_gen_coins[v[0]];
	if (v[13] == 0)
		(void) snprintf(s, sizeof(s),
		    "%s %s %s %s! %s your %u.%u %s now. %s",
		    bench_gen_emoji[v[1]], v[2] ? "FREE" : "Free", coin,
		    bench_gen_promos[v[3]], bench_gen_claims[v[4]], v[5],
		    v[6] + 1, coin, bench_gen_urgency[v[7]]);
	else if (v[13] == 1)
		(void) snprintf(s, sizeof(s),
		    "%s is giving away %u %s! Send 0.%u %s and receive 0.%u "
		    "%s "
		    "back. %s",
		    bench_gen_celebs[v[8]], 1000 + v[9], coin, v[10] + 1, coin,
		    v[11] + 5, coin, bench_gen_urgency[v[7]]);
	else
		(void) snprintf(s, sizeof(s),
		    "%s %s is LIVE 🎁 connect your wallet to claim %u %s", coin,
		    bench_gen_promos[v[3]], 100 + v[12], coin);
	bench_gen_text(p, s);
}

static void
bench_gen_spam_casino(struct bench_gen_post *p)
{
	static const uint32_t lim[]
	    = { 2, BENCH_GEN_T(bench_gen_casinos), 5, 4, 2, 2, 100 };
	uint32_t v[nitems(lim)];
	char     s[512];

	bench_gen_draws(&p->r, v, lim, nitems(lim));
	(void) snprintf(s, sizeof(s),
	    "🎰 %s online %s 2025: %u%% bonus + %u free spins! %s promo code "
	    "%s%u",
	    v[0] ? "Best" : "Top", bench_gen_casinos[v[1]], 100 * (v[2] + 1),
	    50 * (v[3] + 1), v[4] ? "Use" : "Enter", v[5] ? "LUCKY" : "WIN",
	    v[6]);
	bench_gen_text(p, s);
}

static void
bench_gen_spam_money(struct bench_gen_post *p)
{
	static const uint32_t lim[] = { 2, 19, 10, 2, 2, 2 };
	uint32_t              v[nitems(lim)];
	char                  s[512];

	bench_gen_draws(&p->r, v, lim, nitems(lim));
	(void) snprintf(s, sizeof(s), "%s $%u per %s %s from home 💸 %s. %s",
	    v[0] ? "Earn" : "Make", 100 * (v[1] + 2),
	    v[2] < 7 ? "day" : "week", v[3] ? "working" : "trading",
	    v[4] ? "No experience needed" : "100% guaranteed profit",
	    v[5] ? "DM me" : "Message me for details");
	bench_gen_text(p, s);
}

static void
bench_gen_spam_content(struct bench_gen_post *p)
{
	struct bench_gen_buf u = { 0 };
	uint32_t             kind = p->spam - 1, i, n;

	bench_gen_puts(&p->html, "<p>");
	if (kind == BENCH_GEN_SPAM_FLOOD) {
		n = bench_gen_range(&p->r, 8, 20);
		for (i = 0; i < n; i++)
			bench_gen_add_mention(p);
		kind = bench_gen_below(&p->r, BENCH_GEN_SPAM_FLOOD);
	}
	if (kind == BENCH_GEN_SPAM_CRYPTO)
		bench_gen_spam_crypto(p);
	else if (kind == BENCH_GEN_SPAM_CASINO)
		bench_gen_spam_casino(p);
	else
		bench_gen_spam_money(p);
	bench_gen_spam_url(&u, &p->r);
	bench_gen_puts(
	    &p->html, bench_gen_chance(&p->r, 500) ? " 👉 " : "<br>");
	bench_gen_link_html(&p->html, u.p);
	free(u.p);
	n = bench_gen_below(&p->r, 6);
	for (i = 0; i < n; i++) {
		const char *t = BENCH_GEN_PICK(&p->r, bench_gen_spam_tags);

		bench_gen_puts(&p->html, i == 0 ? "</p><p>" : " ");
		bench_gen_tag_html(&p->html, t, false);
		bench_gen_add_tag(p, t);
	}
	bench_gen_puts(&p->html, "</p>");
}

/* ---- one event ------------------------------------------------------------
 */

static const char *
bench_gen_visibility(struct bench_gen_rng *r, bool spam)
{
	uint32_t x = bench_gen_below(r, 100);

	if (spam)
		return x < 90 ? "public" : "unlisted";
	if (x < 60)
		return "public";
	if (x < 80)
		return "unlisted";
	return x < 95 ? "private" : "direct";
}

static void
bench_gen_post_make(struct bench_gen_post *p, uint64_t seed, uint64_t i)
{
	struct bench_gen_rng *r = &p->r;
	uint64_t              k;

	p->html.len = 0;
	p->nment = p->ntags = 0;
	bench_gen_seed(r, seed, 1, i);
	p->ms = BENCH_GEN_BASE_MS + (int64_t) i * BENCH_GEN_STEP_MS
	    + bench_gen_below(r, BENCH_GEN_STEP_MS);
	p->id = ((uint64_t) p->ms << 16) | bench_gen_below(r, 0x10000);
	p->spam = bench_gen_chance(r, BENCH_GEN_SPAM_PERMILLE)
	    ? 1 + bench_gen_below(r, BENCH_GEN_SPAM_KINDS)
	    : 0;
	k = bench_gen_below(
	    r, p->spam ? BENCH_GEN_SPAMMERS : BENCH_GEN_ACCOUNTS);
	bench_gen_account_make(seed, k, p->spam != 0, &p->acct);
	p->lang
	    = bench_gen_chance(r, 850) ? p->acct.lang : bench_gen_lang_pick(r);
	p->vis = bench_gen_visibility(r, p->spam != 0);
	p->reply = !p->spam
	    && (strcmp(p->vis, "direct") == 0 || bench_gen_chance(r, 300));
	p->spoiler = !p->spam && bench_gen_chance(r, 50)
	    ? BENCH_GEN_PICK(r, bench_gen_spoilers)
	    : NULL;
	p->confuse = p->spam && bench_gen_chance(r, 250)
	    ? 1 + bench_gen_below(r, 4)
	    : BENCH_GEN_PLAIN;
	p->nmedia = bench_gen_chance(r, p->spam ? 100 : 250) ? 1 : 0;
	if (p->nmedia && !p->spam && bench_gen_chance(r, 250))
		p->nmedia += bench_gen_range(r, 1, 3);
	if (p->spam)
		bench_gen_spam_content(p);
	else
		bench_gen_normal_content(p);
}

static void
bench_gen_note(struct bench_gen_buf *o, const struct bench_gen_account *a)
{
	struct bench_gen_post n;

	memset(&n, 0, sizeof(n));
	n.r.s = a->note_seed;
	if (a->spam) {
		bench_gen_puts(&n.html, "<p>");
		bench_gen_text(&n, BENCH_GEN_PICK(&n.r, bench_gen_spam_notes));
		bench_gen_puts(&n.html, "</p>");
	} else if (bench_gen_chance(&n.r, 850)) {
		bench_gen_puts(&n.html, "<p>");
		bench_gen_sentence(&n, a->lang);
		if (bench_gen_chance(&n.r, 400))
			bench_gen_normal_tags(&n);
		bench_gen_puts(&n.html, "</p>");
	}
	bench_gen_json(o, n.html.p ? n.html.p : "", n.html.len);
	free(n.html.p);
}

static void
bench_gen_fields(struct bench_gen_buf *o, const struct bench_gen_account *a)
{
	struct bench_gen_buf v = { 0 };
	char                 host[BENCH_GEN_URL_BYTES];
	char                 url[BENCH_GEN_URL_BYTES + 32];

	bench_gen_puts(o, "\"fields\":[");
	if (a->note_seed % 3 != 0) {
		if (a->spam) {
			bench_gen_spam_host((uint32_t) (a->note_seed >> 8)
			        % BENCH_GEN_SPAM_HOSTS,
			    host, sizeof(host));
			(void) snprintf(url, sizeof(url), "https://%s/", host);
		} else
			(void) snprintf(url, sizeof(url),
			    "https://%s.example.net", a->username);
		bench_gen_link_html(&v, url);
		bench_gen_puts(o, "{\"name\":\"Website\",\"value\":");
		bench_gen_json(o, v.p, v.len);
		bench_gen_puts(o, ",\"verified_at\":null}");
		free(v.p);
	}
	if (!a->spam && a->note_seed % 5 == 0)
		bench_gen_printf(o,
		    "%s{\"name\":\"Pronouns\",\"value\":"
		    "\"they/them\",\"verified_at\":null}",
		    a->note_seed % 3 != 0 ? "," : "");
	bench_gen_puts(o, "]");
}

static void
bench_gen_account_json(struct bench_gen_buf *o,
    const struct bench_gen_account *a, int64_t post_ms)
{
	const char *u = a->username;

	bench_gen_printf(o,
	    "\"account\":{\"id\":\"%" PRIu64 "\",\"username\":\"%s\","
	    "\"acct\":\"%s\",\"display_name\":",
	    a->id, u, u);
	bench_gen_jsons(o, a->display);
	bench_gen_printf(o,
	    ",\"locked\":false,\"bot\":%s,\"discoverable\":true,"
	    "\"group\":false,\"created_at\":",
	    a->bot ? "true" : "false");
	bench_gen_time(o, a->created_ms, false);
	bench_gen_puts(o, ",\"note\":");
	bench_gen_note(o, a);
	if (a->avatar)
		bench_gen_printf(o,
		    ",\"url\":\"https://" BENCH_GEN_HOST "/@%s\",\"avatar\":"
		    "\"https://" BENCH_GEN_HOST "/system/accounts/avatars/"
		    "%" PRIu64 "/original/%016" PRIx64 ".png\"",
		    u, a->id, a->note_seed);
	else
		bench_gen_printf(o,
		    ",\"url\":\"https://" BENCH_GEN_HOST "/@%s\",\"avatar\":"
		    "\"https://" BENCH_GEN_HOST
		    "/avatars/original/missing.png\"",
		    u);
	bench_gen_printf(o,
	    ",\"header\":\"https://" BENCH_GEN_HOST "/headers/original/"
	    "missing.png\",\"followers_count\":%u,\"following_count\":%u,"
	    "\"statuses_count\":%u,\"last_status_at\":",
	    a->followers, a->following, a->statuses);
	bench_gen_time(o, post_ms, true);
	bench_gen_puts(o, ",\"emojis\":[],");
	bench_gen_fields(o, a);
	bench_gen_puts(o, "}");
}

static void
bench_gen_media_json(struct bench_gen_buf *o, struct bench_gen_post *p)
{
	uint32_t i, w, h;

	bench_gen_puts(o, ",\"media_attachments\":[");
	for (i = 0; i < p->nmedia; i++) {
		w = 400 * bench_gen_range(&p->r, 1, 6);
		h = 300 * bench_gen_range(&p->r, 1, 6);
		bench_gen_printf(o,
		    "%s{\"id\":\"%" PRIu64 "\",\"type\":\"image\",\"url\":"
		    "\"https://" BENCH_GEN_HOST "/system/media_attachments/"
		    "files/%" PRIu64 "/original/%08x.png\",\"preview_url\":"
		    "\"https://" BENCH_GEN_HOST "/system/media_attachments/"
		    "files/%" PRIu64 "/small/%08x.png\",\"remote_url\":null,"
		    "\"meta\":{\"original\":{\"width\":%u,\"height\":%u,"
		    "\"size\":\"%ux%u\",\"aspect\":%u.%06u}},\"description\":",
		    i ? "," : "", p->id + i + 1, p->id, i, p->id, i, w, h, w,
		    h, w / h, (uint32_t) ((uint64_t) (w % h) * 1000000 / h));
		if (bench_gen_chance(&p->r, p->spam ? 100 : 600))
			bench_gen_jsons(
			    o, BENCH_GEN_PICK(&p->r, bench_gen_alt));
		else
			bench_gen_puts(o, "null");
		bench_gen_printf(o, ",\"blurhash\":\"UFBWY:8_0Jxv%04x\"}",
		    bench_gen_below(&p->r, 0x10000));
	}
	bench_gen_puts(o, "]");
}

static void
bench_gen_lists_json(struct bench_gen_buf *o, const struct bench_gen_post *p)
{
	const struct bench_gen_mention *m;
	size_t                          i;

	bench_gen_puts(o, ",\"mentions\":[");
	for (i = 0; i < p->nment; i++) {
		m = &p->ment[i];
		bench_gen_printf(o,
		    "%s{\"id\":\"%" PRIu64 "\",\"username\":\"%s\",\"url\":"
		    "\"https://%s/@%s\",\"acct\":\"%s%s%s\"}",
		    i ? "," : "", p->id / 7 + i, m->user,
		    m->host ? m->host : BENCH_GEN_HOST, m->user, m->user,
		    m->host ? "@" : "", m->host ? m->host : "");
	}
	bench_gen_puts(o, "],\"tags\":[");
	for (i = 0; i < p->ntags; i++) {
		bench_gen_printf(o, "%s{\"name\":", i ? "," : "");
		bench_gen_jsons(o, p->tags[i]);
		bench_gen_puts(
		    o, ",\"url\":\"https://" BENCH_GEN_HOST "/tags/");
		bench_gen_url_esc(o, p->tags[i]);
		bench_gen_puts(o, "\"}");
	}
	bench_gen_puts(o, "],\"emojis\":[],\"card\":null,\"poll\":null");
}

static void
bench_gen_status_json(struct bench_gen_buf *o, struct bench_gen_post *p)
{
	const char *u = p->acct.username;

	bench_gen_printf(o, "{\"id\":\"%" PRIu64 "\",\"created_at\":", p->id);
	bench_gen_time(o, p->ms, false);
	if (p->reply)
		bench_gen_printf(o,
		    ",\"in_reply_to_id\":\"%" PRIu64 "\","
		    "\"in_reply_to_account_id\":\"%" PRIu64 "\"",
		    p->id - 1 - bench_gen_below(&p->r, 1u << 30), p->id / 3);
	else
		bench_gen_puts(o,
		    ",\"in_reply_to_id\":null,"
		    "\"in_reply_to_account_id\":null");
	bench_gen_printf(o, ",\"sensitive\":%s,\"spoiler_text\":",
	    p->spoiler ? "true" : "false");
	bench_gen_jsons(o, p->spoiler ? p->spoiler : "");
	bench_gen_printf(o,
	    ",\"visibility\":\"%s\",\"language\":\"%s\",\"uri\":\"https:/"
	    "/" BENCH_GEN_HOST "/users/%s/statuses/%" PRIu64 "\",\"url\":"
	    "\"https://" BENCH_GEN_HOST "/@%s/%" PRIu64 "\","
	    "\"replies_count\":0,\"reblogs_count\":0,\"favourites_count\":0,"
	    "\"edited_at\":null,\"content\":",
	    p->vis, p->spam ? "en" : p->lang->code, u, p->id, u, p->id);
	bench_gen_json(o, p->html.p, p->html.len);
	bench_gen_puts(o,
	    ",\"reblog\":null,\"application\":{\"name\":\"Web\","
	    "\"website\":null},");
	bench_gen_account_json(o, &p->acct, p->ms);
	bench_gen_media_json(o, p);
	bench_gen_lists_json(o, p);
	bench_gen_puts(o, "}");
}

static void
bench_gen_event_json(struct bench_gen_buf *o, struct bench_gen_post *p)
{
	o->len = 0;
	bench_gen_puts(o, "{\"event\":\"status.created\",\"created_at\":");
	bench_gen_time(o, p->ms + bench_gen_below(&p->r, 300), false);
	bench_gen_puts(o, ",\"object\":");
	bench_gen_status_json(o, p);
	bench_gen_puts(o, "}\n");
}

int
bench_gen_events(
    FILE *fp, uint64_t n, uint64_t seed, struct bench_gen_stats *st)
{
	struct bench_gen_post p;
	struct bench_gen_buf  o = { 0 };
	uint64_t              i;
	int                   rv = 0;

	memset(&p, 0, sizeof(p));
	for (i = 0; i < n; i++) {
		bench_gen_post_make(&p, seed, i);
		bench_gen_event_json(&o, &p);
		if (fwrite(o.p, 1, o.len, fp) != o.len) {
			rv = MOD_EIO;
			break;
		}
		if (st != NULL) {
			st->events++;
			st->spam += p.spam != 0;
			st->bytes += o.len;
		}
	}
	if (fflush(fp) != 0 || ferror(fp))
		rv = MOD_EIO;
	free(o.p);
	free(p.html.p);
	return rv;
}

/* ---- rules: vocabulary ----------------------------------------------------
 */

/* A family of rules: two word lists for phrase (A gap B) and keyword (A|B)
 * patterns.  `occurs` topics use the spam vocabulary of the corpus. */
struct bench_gen_topic {
	const char        *name;
	const char        *desc;
	const char        *group;
	unsigned           file;
	const char        *target;
	bool               occurs;
	bool               bounded; /* \b around words (not for CJK) */
	const char *const *a;
	size_t             na;
	const char *const *b;
	size_t             nb;
};

enum bench_gen_file {
	BENCH_GEN_F_CORE,
	BENCH_GEN_F_CRYPTO,
	BENCH_GEN_F_CASINO,
	BENCH_GEN_F_HOSTS,
	BENCH_GEN_F_LINKS,
	BENCH_GEN_F_ACCOUNTS,
	BENCH_GEN_F_SCAMS,
	BENCH_GEN_F_ABUSE,
	BENCH_GEN_F_I18N,
	BENCH_GEN_F_MEDIA,
	BENCH_GEN_F_MISC,
	BENCH_GEN_F_COUNT
};

static const char *const bench_gen_files[BENCH_GEN_F_COUNT] = { "00-core",
	"10-crypto", "20-casino", "30-hosts", "40-links", "50-accounts",
	"60-scams", "70-abuse", "80-i18n", "85-media", "90-misc" };

static const char *const bench_gen_v_claim[]
    = { "free", "claim", "get", "receive", "grab", "win" };
static const char *const bench_gen_v_coin[]
    = { "btc", "eth", "usdt", "bitcoin", "ethereum", "bnb", "tokens" };
static const char *const bench_gen_v_promo[]
    = { "giveaway", "airdrop", "presale", "reward", "connect your wallet" };
static const char *const bench_gen_v_casino[]
    = { "casino", "slots", "jackpot", "roulette", "poker" };
static const char *const bench_gen_v_offer[]
    = { "bonus", "free spins", "promo code", "online" };
static const char *const bench_gen_v_earn[] = { "earn", "make" };
static const char *const bench_gen_v_earn2[] = { "per day", "per week",
	"from home", "guaranteed profit", "no experience" };
static const char *const bench_gen_v_celeb[]
    = { "elon musk", "vitalik", "binance", "coinbase", "mrbeast" };
static const char *const bench_gen_v_celeb2[]
    = { "giving away", "send", "receive", "back" };
static const char *const bench_gen_v_pharma[]
    = { "viagra", "cialis", "tramadol", "xanax", "oxycodone", "weight loss",
	      "diet pills", "phentermine" };
static const char *const bench_gen_v_pharma2[] = { "cheap", "no prescription",
	"discount", "buy online", "overnight", "pharmacy" };
static const char *const bench_gen_v_replica[]
    = { "replica", "fake", "counterfeit", "aaa quality", "mirror quality" };
static const char *const bench_gen_v_brands[] = { "rolex", "gucci",
	"louis vuitton", "prada", "air jordan", "handbags", "watches" };
static const char *const bench_gen_v_growth[]
    = { "buy", "cheap", "instant", "real", "get more" };
static const char *const bench_gen_v_growth2[] = { "followers", "likes",
	"subscribers", "youtube views", "backlinks", "seo services" };
static const char *const bench_gen_v_adult[]
    = { "hot", "lonely", "naughty", "sexy", "horny" };
static const char *const bench_gen_v_adult2[] = { "singles", "girls near you",
	"webcam", "hookup", "dating site", "onlyfans" };
static const char *const bench_gen_v_contact[]
    = { "contact me", "dm me on", "add me on", "text me on", "reach me on" };
static const char *const bench_gen_v_contact2[]
    = { "telegram", "whatsapp", "snapchat", "wechat", "kik", "signal" };
static const char *const bench_gen_v_loan[]
    = { "loan", "credit", "mortgage", "debt" };
static const char *const bench_gen_v_loan2[] = { "approved", "bad credit",
	"no credit check", "instant approval", "low interest" };
static const char *const bench_gen_v_inherit[]
    = { "inheritance", "beneficiary", "next of kin", "compensation fund" };
static const char *const bench_gen_v_inherit2[]
    = { "million", "usd", "barrister", "transfer", "bank" };
static const char *const bench_gen_v_essay[]
    = { "essay", "thesis", "dissertation", "homework", "assignment" };
static const char *const bench_gen_v_essay2[]
    = { "writing service", "help", "cheap", "plagiarism free", "deadline" };
static const char *const bench_gen_v_harass[] = { "kill", "go", "hope you" };
static const char *const bench_gen_v_harass2[]
    = { "yourself", "die", "get cancer", "rot" };
static const char *const bench_gen_v_doxx[]
    = { "home address", "phone number", "lives at", "real name" };
static const char *const bench_gen_v_doxx2[]
    = { "leaked", "exposed", "dox", "here is" };
static const char *const bench_gen_v_phish[]
    = { "verify your", "confirm your", "update your", "suspended" };
static const char *const bench_gen_v_phish2[]
    = { "account", "password", "login", "wallet seed", "recovery phrase" };
static const char *const bench_gen_v_support[]
    = { "tech support", "customer service", "helpline", "support number" };
static const char *const bench_gen_v_support2[]
    = { "call now", "toll free", "1-800", "24/7" };
static const char *const bench_gen_v_forex[]
    = { "forex", "binary options", "trading bot", "signals group" };
static const char *const bench_gen_v_forex2[]
    = { "daily profit", "roi", "returns", "passive income" };
static const char *const bench_gen_v_nft[]
    = { "free mint", "whitelist", "nft drop", "mint now" };
static const char *const bench_gen_v_nft2[]
    = { "limited", "spots", "opensea", "floor price" };
static const char *const bench_gen_v_de[]
    = { "gewinnspiel", "kostenlos", "gratis", "gutschein", "sofort" };
static const char *const bench_gen_v_de2[] = { "gewinnen", "verdienen",
	"jetzt klicken", "nur heute", "bitcoin", "iphone" };
static const char *const bench_gen_v_fr[]
    = { "gratuit", "gagnez", "cadeau", "argent facile" };
static const char *const bench_gen_v_fr2[]
    = { "cliquez ici", "maintenant", "iphone", "bitcoin", "offre limitée" };
static const char *const bench_gen_v_es[]
    = { "gratis", "gana", "dinero fácil", "premio" };
static const char *const bench_gen_v_es2[]
    = { "haz clic", "ahora", "iphone", "bitcoin", "oferta limitada" };
static const char *const bench_gen_v_pt[]
    = { "grátis", "ganhe", "dinheiro fácil", "prêmio" };
static const char *const bench_gen_v_pt2[]
    = { "clique aqui", "agora", "iphone", "bitcoin", "oferta limitada" };
static const char *const bench_gen_v_ru[]
    = { "бесплатно", "заработок", "быстрые деньги", "казино" };
static const char *const bench_gen_v_ru2[]
    = { "переходи", "по ссылке", "только сегодня", "бонус", "пиши в личку" };
static const char *const bench_gen_v_ja[]
    = { "無料", "稼げる", "副業", "簡単" };
static const char *const bench_gen_v_ja2[]
    = { "今すぐ", "登録", "line", "限定" };

#define BENCH_GEN_AB(a, b) (a), nitems(a), (b), nitems(b)
static const struct bench_gen_topic bench_gen_topics[] = {
	{ "CRYPTO_CLAIM", "claim-your-coins bait", "crypto",
	    BENCH_GEN_F_CRYPTO, "text", true, true,
	    BENCH_GEN_AB(bench_gen_v_claim, bench_gen_v_coin) },
	{ "CRYPTO_PROMO", "coin promotions", "crypto", BENCH_GEN_F_CRYPTO,
	    "text", true, true,
	    BENCH_GEN_AB(bench_gen_v_coin, bench_gen_v_promo) },
	{ "CASINO_OFFER", "casino bonus offers", "casino", BENCH_GEN_F_CASINO,
	    "text", true, true,
	    BENCH_GEN_AB(bench_gen_v_casino, bench_gen_v_offer) },
	{ "EASY_MONEY", "work-from-home money", "scam", BENCH_GEN_F_SCAMS,
	    "text", true, true,
	    BENCH_GEN_AB(bench_gen_v_earn, bench_gen_v_earn2) },
	{ "CELEB_GIVEAWAY", "fake celebrity giveaways", "crypto",
	    BENCH_GEN_F_CRYPTO, "text", true, true,
	    BENCH_GEN_AB(bench_gen_v_celeb, bench_gen_v_celeb2) },
	{ "PHARMA", "pharmacy spam", "spam", BENCH_GEN_F_SCAMS, "text", false,
	    true, BENCH_GEN_AB(bench_gen_v_pharma, bench_gen_v_pharma2) },
	{ "REPLICA", "counterfeit goods", "spam", BENCH_GEN_F_SCAMS, "text",
	    false, true,
	    BENCH_GEN_AB(bench_gen_v_replica, bench_gen_v_brands) },
	{ "GROWTH_HACK", "bought followers and seo", "spam", BENCH_GEN_F_SCAMS,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_growth, bench_gen_v_growth2) },
	{ "ADULT_BAIT", "adult bait", "nsfw-spam", BENCH_GEN_F_SCAMS, "text",
	    false, true, BENCH_GEN_AB(bench_gen_v_adult, bench_gen_v_adult2) },
	{ "OFFSITE_CONTACT", "moving victims to messengers", "scam",
	    BENCH_GEN_F_SCAMS, "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_contact, bench_gen_v_contact2) },
	{ "LOAN_SCAM", "loan and credit scams", "scam", BENCH_GEN_F_SCAMS,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_loan, bench_gen_v_loan2) },
	{ "ADVANCE_FEE", "inheritance and advance-fee fraud", "scam",
	    BENCH_GEN_F_SCAMS, "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_inherit, bench_gen_v_inherit2) },
	{ "ESSAY_MILL", "essay mills", "spam", BENCH_GEN_F_SCAMS, "text",
	    false, true, BENCH_GEN_AB(bench_gen_v_essay, bench_gen_v_essay2) },
	{ "HARASSMENT", "threats and wishing harm", "abuse", BENCH_GEN_F_ABUSE,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_harass, bench_gen_v_harass2) },
	{ "DOXXING", "publishing personal data", "abuse", BENCH_GEN_F_ABUSE,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_doxx, bench_gen_v_doxx2) },
	{ "PHISHING", "account phishing", "scam", BENCH_GEN_F_SCAMS, "text",
	    false, true, BENCH_GEN_AB(bench_gen_v_phish, bench_gen_v_phish2) },
	{ "TECH_SUPPORT", "tech-support scams", "scam", BENCH_GEN_F_SCAMS,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_support, bench_gen_v_support2) },
	{ "FOREX", "forex and trading bots", "crypto", BENCH_GEN_F_CRYPTO,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_forex, bench_gen_v_forex2) },
	{ "NFT_MINT", "nft mint spam", "crypto", BENCH_GEN_F_CRYPTO, "text",
	    false, true, BENCH_GEN_AB(bench_gen_v_nft, bench_gen_v_nft2) },
	{ "DE_GEWINNSPIEL", "German prize spam", "i18n", BENCH_GEN_F_I18N,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_de, bench_gen_v_de2) },
	{ "FR_GRATUIT", "French prize spam", "i18n", BENCH_GEN_F_I18N, "text",
	    false, true, BENCH_GEN_AB(bench_gen_v_fr, bench_gen_v_fr2) },
	{ "ES_GRATIS", "Spanish prize spam", "i18n", BENCH_GEN_F_I18N, "text",
	    false, true, BENCH_GEN_AB(bench_gen_v_es, bench_gen_v_es2) },
	{ "PT_GRATIS", "Portuguese prize spam", "i18n", BENCH_GEN_F_I18N,
	    "text", false, true,
	    BENCH_GEN_AB(bench_gen_v_pt, bench_gen_v_pt2) },
	{ "RU_ZARABOTOK", "Russian money spam (as written)", "i18n",
	    BENCH_GEN_F_I18N, "text:raw", false, true,
	    BENCH_GEN_AB(bench_gen_v_ru, bench_gen_v_ru2) },
	{ "JA_FUKUGYO", "Japanese side-job spam", "i18n", BENCH_GEN_F_I18N,
	    "text", false, false,
	    BENCH_GEN_AB(bench_gen_v_ja, bench_gen_v_ja2) },
};

/* ---- rules: writer --------------------------------------------------------
 */

struct bench_gen_rules {
	struct bench_gen_rng  r;
	struct bench_gen_buf  file[BENCH_GEN_F_COUNT];
	struct bench_gen_buf *b; /* file of the rule being written */
	unsigned              idx;
	bool                  occurs;
};

static void
bench_gen_rule_open(struct bench_gen_rules *g, unsigned file, const char *name,
    bool numbered, const char *desc, const char *group)
{
	g->b = &g->file[file];
	if (numbered)
		bench_gen_printf(g->b, "rule %s_%04u {\n", name, g->idx);
	else
		bench_gen_printf(g->b, "rule %s {\n", name);
	bench_gen_printf(g->b, "\tdesc \"%s\"\n", desc);
	if (group != NULL)
		bench_gen_printf(g->b, "\tgroup %s\n", group);
}

/* score in halves: lo2/2 .. hi2/2 */
static void
bench_gen_rule_score(struct bench_gen_rules *g, uint32_t lo2, uint32_t hi2)
{
	uint32_t h = bench_gen_range(&g->r, lo2, hi2);

	bench_gen_printf(g->b, "\tscore %u.%u\n", h / 2, h % 2 ? 5 : 0);
}

static void
bench_gen_rule_close(struct bench_gen_rules *g)
{
	static const char *const act[]
	    = { "flag", "flag", "flag", "flag", "flag", "sensitive",
		      "sensitive", "silence", "delete", "suspend" };

	if (g->occurs)
		bench_gen_rule_score(g, 2, 8);
	else
		bench_gen_rule_score(g, 1, 10);
	if (bench_gen_chance(&g->r, 120))
		bench_gen_printf(
		    g->b, "\taction %s\n", BENCH_GEN_PICK(&g->r, act));
	bench_gen_puts(g->b, "}\n\n");
}

/* A word as a regex: metacharacters escaped, spaces as \s+ (or a literal
 * space now and then, as people write them). */
static void
bench_gen_re_word(struct bench_gen_buf *b, const char *w, bool lit_space)
{
	for (; *w != '\0'; w++) {
		if (*w == ' ')
			bench_gen_puts(b, lit_space ? " " : "\\s+");
		else if (strchr(".+*?()[]{}|^$\\/", *w) != NULL) {
			bench_gen_putc(b, '\\');
			bench_gen_putc(b, *w);
		} else
			bench_gen_putc(b, *w);
	}
}

/* (?:w|w|…) of k distinct words of tab (n <= 64); without the group
 * when `bare` (the caller supplies it). */
static void
bench_gen_re_alt(struct bench_gen_rules *g, const char *const *tab, size_t n,
    uint32_t k, bool bare)
{
	uint64_t used = 0;
	uint32_t i, j;
	bool     lit = bench_gen_chance(&g->r, 200);

	if (k > n)
		k = (uint32_t) n;
	bench_gen_puts(g->b, k > 1 && !bare ? "(?:" : "");
	for (i = 0; i < k; i++) {
		do
			j = bench_gen_below(&g->r, (uint32_t) n);
		while (used & (UINT64_C(1) << j));
		used |= UINT64_C(1) << j;
		if (i > 0)
			bench_gen_putc(g->b, '|');
		bench_gen_re_word(g->b, tab[j], lit);
	}
	bench_gen_puts(g->b, k > 1 && !bare ? ")" : "");
}

static void
bench_gen_re_flags(struct bench_gen_rules *g, bool dotall_ok)
{
	bench_gen_putc(g->b, '/');
	if (bench_gen_chance(&g->r, 450))
		bench_gen_putc(g->b, 'i');
	if (dotall_ok && bench_gen_chance(&g->r, 60))
		bench_gen_putc(g->b, 's');
	bench_gen_putc(g->b, '\n');
}

/* Extra conditions, as mod teams narrow rules down. */
static void
bench_gen_rule_conds(struct bench_gen_rules *g, bool age_ok)
{
	static const char *const age[]
	    = { "1d", "2d", "3d", "7d", "14d", "30d", "90d", "2w", "48h" };
	static const uint32_t fol[] = { 50, 100, 500, 1000, 5000 };
	struct bench_gen_rng *r = &g->r;

	if (bench_gen_chance(r, 250) && age_ok)
		bench_gen_printf(
		    g->b, "\twhen account_age < %s\n", BENCH_GEN_PICK(r, age));
	if (bench_gen_chance(r, 150))
		bench_gen_printf(
		    g->b, "\tunless followers > %u\n", BENCH_GEN_PICK(r, fol));
	if (bench_gen_chance(r, 60))
		bench_gen_printf(g->b, "\tunless statuses > %u\n",
		    10 * BENCH_GEN_PICK(r, fol));
	if (bench_gen_chance(r, 80))
		bench_gen_puts(g->b,
		    bench_gen_chance(r, 500)
		        ? "\twhen visibility public,unlisted\n"
		        : "\twhen visibility public\n");
	if (bench_gen_chance(r, 80))
		bench_gen_puts(g->b,
		    bench_gen_chance(r, 500)
		        ? "\twhen kind status\n"
		        : "\twhen kind status.created,status.updated\n");
	if (bench_gen_chance(r, 40))
		bench_gen_puts(g->b, "\twhen links >= 1\n");
	if (bench_gen_chance(r, 30))
		bench_gen_printf(g->b, "\twhen length < %u\n",
		    100 * bench_gen_range(r, 2, 10));
	if (bench_gen_chance(r, 15))
		bench_gen_puts(g->b, "\twhen local\n");
}

/* ---- rules: the fixed core ------------------------------------------------
 */

static void
bench_gen_core_hosts(struct bench_gen_rules *g)
{
	char     host[BENCH_GEN_URL_BYTES];
	uint32_t i;

	bench_gen_rule_open(g, BENCH_GEN_F_CORE, "SPAM_HOSTS", false,
	    "known spam link hosts", "spam");
	bench_gen_puts(g->b, "\tmatch host /(?:^|\\.)(?:");
	for (i = 0; i < BENCH_GEN_SPAM_HOSTS / 2; i++) {
		bench_gen_spam_host(i, host, sizeof(host));
		if (i > 0)
			bench_gen_putc(g->b, '|');
		bench_gen_re_word(g->b, host, false);
	}
	bench_gen_printf(g->b,
	    ")$/\n\tscore 3.0\n\texpect hit \"visit "
	    "https://%s/claim now\"\n}\n\n",
	    (bench_gen_spam_host(0, host, sizeof(host)), host));
}

static const char *const bench_gen_core[] = {
	"rule CRYPTO_GIVEAWAY {\n\tdesc \"crypto giveaway and airdrop bait\"\n"
	"\tgroup crypto\n\tmatch text /\\b(?:free|claim|get|receive|grab|win)"
	"\\b.{0,40}\\b(?:btc|eth|usdt|bitcoin|ethereum|sol|bnb|tokens)\\b/\n"
	"\tscore 3.0\n\texpect hit \"free btc giveaway\"\n"
	"\texpect miss \"the weather is nice today\"\n}\n\n",
	NULL, /* SPAM_HOSTS, built from the host table */
	"rule CASINO_BONUS {\n\tdesc \"online casino bonus offers\"\n"
	"\tgroup casino\n\tmatch text /\\b(?:casino|slots|jackpot|roulette|"
	"poker)\\b.{0,60}\\b(?:bonus|free\\s+spins|promo\\s+code)\\b/i\n"
	"\tscore 3.0\n}\n\n",
	"rule MENTION_FLOOD {\n\tdesc \"many mentions from a young account\"\n"
	"\tgroup spam\n\twhen mentions >= 8\n\twhen account_age < 30d\n"
	"\tscore 2.0\n\taction flag\n}\n\n",
	"rule NEW_ACCOUNT_LINKS {\n\tdesc \"links from brand-new accounts\"\n"
	"\tgroup spam\n\twhen account_age < 3d\n\twhen links >= 1\n"
	"\tunless followers > 50\n\tscore 1.5\n}\n\n",
	"rule SPAM_USERNAME {\n\tdesc \"word plus five or more digits\"\n"
	"\tgroup accounts\n\tmatch username /^[a-z]+\\d{5,}$/\n"
	"\twhen account_age < 14d\n\tscore 1.5\n}\n\n",
	"rule WORK_FROM_HOME {\n\tdesc \"earn money from home\"\n"
	"\tgroup scam\n\tmatch text /\\b(?:earn|make)\\s+\\$?\\d+.{0,30}"
	"\\bper\\s+(?:day|week)\\b/i\n\tmatch text /\\b(?:from\\s+home|no\\s+"
	"experience|guaranteed\\s+profit)\\b/\n\tscore 3.0\n}\n\n",
	"rule MIXED_SCRIPT_WORD {\n\tdesc \"Latin letters glued to Cyrillic "
	"or Greek ones\"\n\tgroup lookalike\n\tmatch text:raw /\\p{Latin}"
	"\\p{Cyrillic}|\\p{Cyrillic}\\p{Latin}|\\p{Latin}\\p{Greek}|\\p{Greek}"
	"\\p{Latin}/\n\tscore 2.0\n}\n\n",
	"rule CRYPTO_HASHTAGS {\n\tdesc \"stuffed crypto hashtags\"\n"
	"\tgroup crypto\n\tmatch hashtag /^(?:crypto|bitcoin|btc|eth|airdrop|"
	"giveaway|nft)$/\n\twhen hashtags >= 3\n\tscore 1.5\n}\n\n",
	"rule REFERRAL_LINK {\n\tdesc \"affiliate and referral links\"\n"
	"\tgroup links\n\tmatch url /[?&](?:ref|aff|code|promo)=\\w+/\n"
	"\twhen account_age < 30d\n\tscore 1.0\n}\n\n",
};

_Static_assert(
    nitems(bench_gen_core) == BENCH_GEN_CORE_RULES, "core rule count");

static void
bench_gen_rule_core(struct bench_gen_rules *g)
{
	if (bench_gen_core[g->idx] == NULL)
		bench_gen_core_hosts(g);
	else
		bench_gen_puts(
		    &g->file[BENCH_GEN_F_CORE], bench_gen_core[g->idx]);
}

/* ---- rules: templates -----------------------------------------------------
 */

static const struct bench_gen_topic *
bench_gen_topic_pick(struct bench_gen_rules *g)
{
	const struct bench_gen_topic *t;

	do
		t = &BENCH_GEN_PICK(&g->r, bench_gen_topics);
	while (t->occurs != g->occurs);
	return t;
}

/* TARGET /\b(?:a|…)\b.{0,N}\b(?:x|…)\b/ */
static void
bench_gen_rule_phrase(struct bench_gen_rules *g)
{
	static const uint32_t         gap[] = { 20, 30, 40, 60, 80 };
	const struct bench_gen_topic *t = bench_gen_topic_pick(g);
	const char                   *wb = t->bounded ? "\\b" : "";

	bench_gen_rule_open(g, t->file, t->name, true, t->desc, t->group);
	bench_gen_printf(g->b, "\tmatch %s /%s", t->target, wb);
	bench_gen_re_alt(g, t->a, t->na, bench_gen_range(&g->r, 1, 4), false);
	bench_gen_printf(
	    g->b, "%s.{0,%u}%s", wb, BENCH_GEN_PICK(&g->r, gap), wb);
	bench_gen_re_alt(g, t->b, t->nb, bench_gen_range(&g->r, 1, 4), false);
	bench_gen_puts(g->b, wb);
	bench_gen_re_flags(g, true);
	bench_gen_rule_conds(g, true);
	bench_gen_rule_close(g);
}

/* TARGET /\b(?:a\s+x|b\s+y|…)\b/: a blocklist of phrases. */
static void
bench_gen_rule_keywords(struct bench_gen_rules *g)
{
	const struct bench_gen_topic *t = bench_gen_topic_pick(g);
	const char                   *wb = t->bounded ? "\\b" : "";
	uint32_t                      k = bench_gen_range(&g->r, 2, 6), i;

	bench_gen_rule_open(g, t->file, t->name, true, t->desc, t->group);
	bench_gen_printf(g->b, "\tmatch %s /%s(?:", t->target, wb);
	for (i = 0; i < k; i++) {
		if (i > 0)
			bench_gen_putc(g->b, '|');
		bench_gen_re_alt(g, t->a, t->na, 1, true);
		bench_gen_puts(g->b, t->bounded ? "\\s+" : "");
		bench_gen_re_alt(g, t->b, t->nb, 1, true);
	}
	bench_gen_printf(g->b, ")%s", wb);
	bench_gen_re_flags(g, false);
	bench_gen_rule_conds(g, true);
	bench_gen_rule_close(g);
}

/* match host /(?:^|\.)(?:h|h|…)$/: a slice of a blocklist. */
static void
bench_gen_rule_hosts(struct bench_gen_rules *g)
{
	char     host[BENCH_GEN_URL_BYTES];
	uint32_t n
	    = bench_gen_chance(&g->r, 600) ? 1 : bench_gen_range(&g->r, 2, 12);
	uint32_t i, h;

	bench_gen_rule_open(g, BENCH_GEN_F_HOSTS, "BLOCKED_HOST", true,
	    "hosts from the shared blocklist", "spam");
	bench_gen_puts(g->b, "\tmatch host /(?:^|\\.)");
	bench_gen_puts(g->b, n > 1 ? "(?:" : "");
	for (i = 0; i < n; i++) {
		h = g->occurs ? bench_gen_below(&g->r, BENCH_GEN_SPAM_HOSTS)
		              : 1000 + bench_gen_below(&g->r, 1000000);
		bench_gen_spam_host(h, host, sizeof(host));
		bench_gen_puts(g->b, i > 0 ? "|" : "");
		bench_gen_re_word(g->b, host, false);
	}
	bench_gen_puts(g->b, n > 1 ? ")$/\n" : "$/\n");
	bench_gen_rule_conds(g, true);
	bench_gen_rule_close(g);
}

/* Patterns of the other targets: [occurs][i] = { target, pattern }. */
struct bench_gen_pat {
	const char *name;
	const char *desc;
	const char *target;
	const char *re; /* %u: a random small number */
};

static const struct bench_gen_pat bench_gen_pats_occ[] = {
	{ "REF_PARAM", "affiliate parameters in links", "url",
	    "/[?&](?:ref|aff|promo|code)=\\w{%u,}/" },
	{ "CLAIM_PATH", "claim landing pages", "url",
	    "/\\/claim\\?ref=\\d{%u,}/" },
	{ "PROMO_PATH", "promo-code landing pages", "url",
	    "/\\/promo\\/[a-z]{2}\\d{1,%u}$/i" },
	{ "UTM_MASTO", "campaign links aimed at Mastodon", "url",
	    "/[?&]utm_source=masto(?:$|&)/" },
	{ "SPAM_TAGS", "spam hashtags", "hashtag",
	    "/^(?:crypto|airdrop|giveaway|btc|eth|nft|"
	    "casino|slots)$/" },
	{ "DIGIT_USERNAME", "generated usernames", "username",
	    "/^[a-z]+\\d{%u,}$/" },
	{ "CELEB_NAME", "celebrity impersonation", "display_name",
	    "/\\belon\\b.{0,%u}\\bmusk\\b/i" },
	{ "SUPPORT_NAME", "fake support accounts", "display_name",
	    "/\\b(?:support|help\\s*desk|official)\\b/" },
	{ "MONEY_EMOJI_NAME", "money emoji in the name", "display_name",
	    "/[💰💸💋]/" },
	{ "SIGNALS_BIO", "trading-signal sellers", "bio",
	    "/\\b(?:dm|message)\\s+(?:me|us)\\b.{0,%u}\\b(?:signals|invest\\w*"
	    "|"
	    "details)\\b/" },
	{ "PROFIT_BIO", "guaranteed-profit promises", "bio",
	    "/\\b(?:100%%|guaranteed)\\s+profit\\b/" },
	{ "FULLWIDTH_NAME", "fullwidth letters in the name",
	    "display_name:raw", "/[\\x{FF21}-\\x{FF5A}]{%u,}/" },
	{ "FULLWIDTH_TEXT", "fullwidth letters in the text", "text:raw",
	    "/[\\x{FF21}-\\x{FF5A}]{%u,}/" },
	{ "MATH_LETTERS", "mathematical letters used as text", "text:raw",
	    "/[\\x{1D400}-\\x{1D7FF}]{%u,}/" },
	{ "CYRILLIC_IN_LATIN", "Cyrillic letters inside Latin words",
	    "text:raw", "/[a-z][\\x{0400}-\\x{04FF}]{1,%u}[a-z]/i" },
};

static const struct bench_gen_pat bench_gen_pats_rare[] = {
	{ "EXECUTABLE_LINK", "links to executables", "url",
	    "/\\.(?:exe|scr|apk|msi|bat)(?:$|\\?)/" },
	{ "WP_LOGIN", "links to WordPress logins", "url",
	    "/\\/wp-(?:admin|login)\\.php/" },
	{ "TOKEN_PARAM", "session tokens in links", "url",
	    "/[?&](?:token|session|sid)=[a-f0-9]{%u,}/" },
	{ "IP_LINK", "links to bare IP addresses", "url",
	    "/^https?:\\/\\/\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{2,5})?\\//" },
	{ "PHARMA_PATH", "pharmacy shop paths", "url",
	    "/\\/(?:buy-|cheap-)?(?:viagra|cialis|tramadol)(?:-\\w+){0,%u}/" },
	{ "SHORTENER", "link shorteners", "host",
	    "/^(?:bit\\.ly|tinyurl\\.com|cutt\\.ly|is\\.gd|"
	    "t\\.co|rb\\.gy|shorturl\\.at)$/" },
	{ "FOLLOWBACK_TAGS", "follow-back hashtags", "hashtag",
	    "/^(?:followback|f4f|l4l|teamfollowback|instafollow)$/" },
	{ "NSFW_TAGS", "adult hashtags", "hashtag",
	    "/^(?:onlyfans|nsfw\\w*|porn\\w*)$/" },
	{ "STAFF_USERNAME", "staff impersonation", "username",
	    "/^(?:support|help|admin|mod)[_.]?(?:team|desk|official)\\d*$/" },
	{ "VERIFIED_NAME", "fake verified names", "display_name",
	    "/\\b(?:official|verified)\\s*(?:account|support|team)\\b/" },
	{ "SUGAR_BIO", "sugar-daddy bios", "bio",
	    "/\\b(?:sugar\\s+daddy|looking\\s+for\\s+(?:fun|love))\\b/" },
	{ "TELEGRAM_BIO", "Telegram contact in the bio", "bio",
	    "/\\bt\\.me\\/[a-z0-9_]{%u,}/i" },
	{ "WHATSAPP_BIO", "WhatsApp number in the bio", "bio",
	    "/\\b(?:whatsapp|wa\\.me)\\b.{0,20}\\+?\\d{%u,}/" },
	{ "QR_ALT", "QR codes in images", "media_description",
	    "/\\b(?:scan|qr)\\s+(?:code|me)\\b/" },
	{ "CLICK_ALT", "click-the-link alt text", "media_description",
	    "/\\b(?:click|visit)\\s+(?:the\\s+)?link\\b.{0,%u}/" },
	{ "NSFW_CW", "adult content warnings", "spoiler",
	    "/\\b(?:nsfw|lewd|18\\+)/" },
	{ "BAD_MENTION", "mentions of spam instances", "mention",
	    "/@(?:spam|bot|promo)[a-z0-9-]*\\.(?:xyz|top|click)$/" },
	{ "BAD_DOMAIN", "numbered spam domains", "domain",
	    "/(?:^|\\.)(?:spam|promo)-?\\d{%u,}\\./" },
	{ "ROBOT_ACCT", "generated remote accounts", "acct",
	    "/^[a-z]+\\d{%u,}@/" },
	{ "ZERO_WIDTH_RUN", "runs of zero-width characters", "text:raw",
	    "/[\\x{200B}-\\x{200D}\\x{2060}]{%u,}/" },
	{ "BIDI_CONTROL", "bidi override characters", "text:raw",
	    "/[\\x{202A}-\\x{202E}\\x{2066}-\\x{2069}]/" },
	{ "REPORT_LEGAL", "reports about legal matters", "report_comment",
	    "/\\b(?:csam|copyright|dmca|court\\s+order)\\b/" },
	{ "REPORT_SPAM", "reports filed as spam", "report_category",
	    "/^spam$/" },
};

/* Backreferences and lookaround: PCRE2 only, the prefilter approximates. */
static const struct bench_gen_pat bench_gen_pats_pcre[] = {
	{ "COIN_ADDRESS", "coin addresses", "text",
	    "/(?<![\\w.])(?:btc|eth)\\s*(?:address|wallet)\\b/" },
	{ "CLAIM_NOT_WARRANTY", "claims that are not warranty claims", "text",
	    "/\\bclaim\\b(?!.{0,%u0}\\bwarranty\\b)/" },
	{ "COIN_AND_GIVEAWAY", "coins and giveaways anywhere in the text",
	    "text",
	    "/^(?=.*\\b(?:crypto|btc|eth)\\b)(?=.*\\b(?:giveaway|airdrop)\\b)/"
	    "s" },
	{ "DOLLARS_PER_DAY", "dollars per day", "text",
	    "/(?<=\\$)\\d{%u,}\\s*(?:per|a)\\s*(?:day|week)\\b/" },
	{ "FREE_TWICE", "free, and free again", "text",
	    "/\\b(free)\\b.{0,%u0}\\b\\1\\b/" },
	{ "ATOMIC_BONUS", "percent bonus", "text",
	    "/(?>\\d+)%%\\s*bonus\\b/" },
	{ "NOT_A_SCAM", "the word scam, unless denied", "text",
	    "/(?<!\\bnot\\s)\\bscam\\b/" },
};

/* Detectors with no literal at all: every event needs PCRE2 for them, so
 * a rule set has each once (at these rule numbers), as mod teams do. */
static const struct bench_gen_pat bench_gen_pats_noliteral[] = {
	{ "CHAR_FLOOD", "one character repeated", "text", "/(\\w)\\1{%u,}/" },
	{ "WORD_REPEAT", "one word three times", "text",
	    "/\\b(\\w+)\\s+\\1\\s+\\1\\b/" },
	{ "SAME_WORD_4X", "one word four times", "text",
	    "/\\b(\\w{3,})\\W+\\1\\W+\\1\\W+\\1\\b/" },
};
static const unsigned bench_gen_noliteral_at[] = { 50, 150, 250 };

static void
bench_gen_rule_pat(struct bench_gen_rules *g, const struct bench_gen_pat *p,
    unsigned file, const char *group)
{
	bench_gen_rule_open(g, file, p->name, true, p->desc, group);
	bench_gen_printf(g->b, "\tmatch %s ", p->target);
	bench_gen_printf(g->b, p->re, bench_gen_range(&g->r, 3, 8));
	if (g->b->p[g->b->len - 1] == '/' && bench_gen_chance(&g->r, 350))
		bench_gen_putc(g->b, 'i');
	bench_gen_putc(g->b, '\n');
	bench_gen_rule_conds(g, true);
	bench_gen_rule_close(g);
}

static unsigned
bench_gen_target_file(const char *target)
{
	if (strncmp(target, "url", 3) == 0 || strncmp(target, "host", 4) == 0)
		return BENCH_GEN_F_LINKS;
	if (strncmp(target, "text", 4) == 0
	    || strncmp(target, "report", 6) == 0)
		return BENCH_GEN_F_MISC;
	if (strncmp(target, "media", 5) == 0
	    || strncmp(target, "spoiler", 7) == 0)
		return BENCH_GEN_F_MEDIA;
	return BENCH_GEN_F_ACCOUNTS;
}

static void
bench_gen_rule_other(struct bench_gen_rules *g)
{
	const struct bench_gen_pat *p;

	if (g->occurs)
		p = &BENCH_GEN_PICK(&g->r, bench_gen_pats_occ);
	else
		p = &BENCH_GEN_PICK(&g->r, bench_gen_pats_rare);
	bench_gen_rule_pat(g, p, bench_gen_target_file(p->target), "spam");
}

/* Lookaround and backreferences around topic words: PCRE2 constructs that
 * still carry literals for the prefilter. */
static void
bench_gen_rule_context(struct bench_gen_rules *g)
{
	static const uint32_t         gap[] = { 20, 40, 80 };
	const struct bench_gen_topic *t = bench_gen_topic_pick(g);
	const char                   *wb = t->bounded ? "\\b" : "";
	char                          name[BENCH_GEN_NAME_BYTES];
	uint32_t                      form = bench_gen_below(&g->r, 4);
	uint32_t                      k = bench_gen_range(&g->r, 1, 3);
	uint32_t                      n = BENCH_GEN_PICK(&g->r, gap);

	(void) snprintf(name, sizeof(name), "%s_CONTEXT", t->name);
	bench_gen_rule_open(g, t->file, name, true, t->desc, t->group);
	bench_gen_printf(g->b, "\tmatch %s /", t->target);
	if (form == 0) /* not after a denial */
		bench_gen_printf(g->b, "(?<!\\bnot\\s)%s", wb);
	else if (form == 1) /* both, anywhere, in either order */
		bench_gen_printf(g->b, "^(?=[\\s\\S]*%s", wb);
	else
		bench_gen_printf(g->b, "%s%s", wb, form == 3 ? "(" : "");
	bench_gen_re_alt(g, t->a, t->na, k, form == 3);
	if (form == 0)
		bench_gen_printf(g->b, "%s.{0,%u}%s", wb, n, wb);
	else if (form == 1)
		bench_gen_printf(g->b, "%s)(?=[\\s\\S]*%s", wb, wb);
	else if (form == 2) /* unless followed by */
		bench_gen_printf(g->b, "%s(?!.{0,%u}%s", wb, n, wb);
	else /* the same word twice */
		bench_gen_printf(g->b, ")%s.{0,%u}%s\\1%s", wb, n, wb, wb);
	if (form != 3)
		bench_gen_re_alt(g, t->b, t->nb, k, false);
	bench_gen_puts(g->b, form == 0 ? wb : form == 3 ? "" : wb);
	bench_gen_puts(g->b, form == 1 || form == 2 ? ")" : "");
	bench_gen_re_flags(g, false);
	bench_gen_rule_conds(g, true);
	bench_gen_rule_close(g);
}

static void
bench_gen_rule_numeric(struct bench_gen_rules *g)
{
	struct bench_gen_rng *r = &g->r;

	bench_gen_rule_open(
	    g, BENCH_GEN_F_MISC, "VOLUME", true, "volume signals", "spam");
	switch (bench_gen_below(r, 4)) {
	case 0:
		bench_gen_printf(g->b, "\twhen mentions >= %u\n",
		    bench_gen_range(r, 6, 12));
		break;
	case 1:
		bench_gen_printf(
		    g->b, "\twhen links >= %u\n", bench_gen_range(r, 2, 4));
		break;
	case 2:
		bench_gen_printf(
		    g->b, "\twhen hashtags >= %u\n", bench_gen_range(r, 5, 8));
		break;
	default:
		bench_gen_puts(g->b, "\twhen media >= 4\n");
	}
	bench_gen_printf(
	    g->b, "\twhen account_age < %ud\n", bench_gen_range(r, 1, 30));
	bench_gen_rule_conds(g, false);
	bench_gen_rule_close(g);
}

/* One non-core rule; about a fifth use the corpus's spam vocabulary. */
static void
bench_gen_rule_one(struct bench_gen_rules *g)
{
	uint32_t x = bench_gen_below(&g->r, 1000);

	g->occurs = bench_gen_chance(&g->r, 200);
	if (x < 300)
		bench_gen_rule_phrase(g);
	else if (x < 430)
		bench_gen_rule_keywords(g);
	else if (x < 650)
		bench_gen_rule_hosts(g);
	else if (x < 920)
		bench_gen_rule_other(g);
	else if (x < 940)
		bench_gen_rule_pat(g,
		    &BENCH_GEN_PICK(&g->r, bench_gen_pats_pcre),
		    BENCH_GEN_F_MISC, "pcre");
	else if (x < 960)
		bench_gen_rule_context(g);
	else
		bench_gen_rule_numeric(g);
}

/* Rule number idx: the core, a literal-free detector, or a random one. */
static void
bench_gen_rule_at(struct bench_gen_rules *g)
{
	size_t i;

	if (g->idx < BENCH_GEN_CORE_RULES) {
		bench_gen_rule_core(g);
		return;
	}
	for (i = 0; i < nitems(bench_gen_noliteral_at); i++)
		if (g->idx == bench_gen_noliteral_at[i]) {
			g->occurs = false;
			bench_gen_rule_pat(g, &bench_gen_pats_noliteral[i],
			    BENCH_GEN_F_MISC, "pcre");
			return;
		}
	bench_gen_rule_one(g);
}

static int
bench_gen_rules_write(const char *dir, struct bench_gen_rules *g)
{
	char     path[4096];
	FILE    *fp;
	unsigned i;
	int      rv = 0;

	for (i = 0; i < BENCH_GEN_F_COUNT && rv == 0; i++) {
		if (g->file[i].len == 0)
			continue;
		(void) snprintf(path, sizeof(path), "%s/%s.rules", dir,
		    bench_gen_files[i]);
		if ((fp = fopen(path, "w")) == NULL)
			return MOD_EIO;
		fprintf(fp,
		    "# %s.rules: generated by bench_gen; do not edit.\n"
		    "\n",
		    bench_gen_files[i]);
		if (fwrite(g->file[i].p, 1, g->file[i].len, fp)
		    != g->file[i].len)
			rv = MOD_EIO;
		if (fclose(fp) != 0)
			rv = MOD_EIO;
	}
	return rv;
}

int
bench_gen_rules(const char *dir, unsigned n, uint64_t seed)
{
	struct bench_gen_rules g;
	unsigned               i;
	int                    rv;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return MOD_EIO;
	memset(&g, 0, sizeof(g));
	for (g.idx = 0; g.idx < n; g.idx++) {
		bench_gen_seed(&g.r, seed, 4, g.idx);
		bench_gen_rule_at(&g);
	}
	rv = bench_gen_rules_write(dir, &g);
	for (i = 0; i < BENCH_GEN_F_COUNT; i++)
		free(g.file[i].p);
	return rv;
}

/* ---- command line ---------------------------------------------------------
 */

#ifndef BENCH_GEN_NO_MAIN

static int
bench_gen_num(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *out > max) {
		fprintf(stderr, "bench_gen: bad number: %s\n", s);
		return MOD_EINVAL;
	}
	return 0;
}

static int
bench_gen_usage(void)
{
	fprintf(stderr,
	    "usage: bench_gen events N SEED > events.jsonl\n"
	    "       bench_gen rules N SEED DIR\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static char            obuf[1 << 16];
	struct bench_gen_stats st = { 0 };
	uint64_t               n, seed;

	if (argc < 4 || bench_gen_num(argv[2], UINT32_MAX, &n) != 0
	    || bench_gen_num(argv[3], UINT64_MAX, &seed) != 0)
		return bench_gen_usage();
	if (strcmp(argv[1], "events") == 0 && argc == 4) {
		(void) setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		if (bench_gen_events(stdout, n, seed, &st) != 0) {
			fprintf(stderr, "bench_gen: write error\n");
			return 1;
		}
		fprintf(stderr,
		    "bench_gen: %" PRIu64 " events, %" PRIu64 " spam, %" PRIu64
		    " bytes\n",
		    st.events, st.spam, st.bytes);
		return 0;
	}
	if (strcmp(argv[1], "rules") == 0 && argc == 5) {
		if (n > MOD_MAX_RULES_COUNT
		    || bench_gen_rules(argv[4], (unsigned) n, seed) != 0) {
			fprintf(
			    stderr, "bench_gen: cannot write %s\n", argv[4]);
			return 1;
		}
		return 0;
	}
	return bench_gen_usage();
}

#endif /* BENCH_GEN_NO_MAIN */
