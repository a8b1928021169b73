using System.Text;
using System.Text.RegularExpressions;

namespace Maximus.Memory.Hybrid;

/// <summary>
/// Rule-based entities of a text, for the entity index of hybrid recall (multi-hop): proper names (runs of capitalised
/// words not at a sentence start, or at one when the word is not a common sentence opener: "Caroline", "New York",
/// "Charlotte's Web"), quoted titles ("Eternal Sunshine"),
/// and objects: the noun right after a possessive ("my dog" → "dog"; abstract words such as "my day" are left out). Every entity is lower-cased and normalised (possessive 's and punctuation dropped, spaces single), at most
/// <see cref="MaxEntities"/> per text, in order of first appearance. No word lists of a data set: the stop lists below
/// are English function words, pronouns and sentence openers.
/// </summary>
public static partial class EntityExtractor
{
    public const int MaxEntities = 16;

    /// <summary>Capitalised words that are not names: function words, pronouns, sentence openers, time words.</summary>
    private static readonly HashSet<string> NotNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "i", "i'm", "i've", "i'll", "i'd", "a", "an", "the", "and", "or", "but", "so", "if", "then", "yes", "no", "not", "oh", "ok",
        "okay", "hey", "hi", "hello", "wow", "thanks", "thank", "sure", "well", "yeah", "yep", "nope", "awesome", "great", "cool",
        "nice", "good", "sounds", "that's", "it's", "what's", "this", "that", "these", "those", "it", "he", "she", "we", "you",
        "they", "me", "him", "her", "us", "them", "my", "your", "his", "its", "our", "their", "what", "when", "where", "who",
        "whom", "whose", "which", "why", "how", "is", "are", "was", "were", "be", "been", "do", "does", "did", "have", "has",
        "had", "can", "could", "would", "should", "will", "shall", "may", "might", "must", "in", "on", "at", "to", "for", "of",
        "with", "by", "from", "about", "as", "into", "like", "after", "before", "since", "until", "also", "just", "really",
        "definitely", "absolutely", "totally", "anyway", "btw", "lol", "congrats", "congratulations", "aww", "omg", "haha",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april",
        "june", "july", "august", "september", "october", "november", "december", "today", "yesterday", "tomorrow", "last",
        "next", "there", "here", "all", "any", "some", "every", "each", "both", "one", "let's", "let", "please", "glad", "love",
        "i'd", "you're", "you've", "we're", "they're", "don't", "didn't", "can't", "won't", "isn't", "wasn't", "shares", "photo",
        "mr", "mrs", "ms", "dr", "st",
    };

    private static readonly HashSet<string> Possessives = new(StringComparer.OrdinalIgnoreCase) { "my", "his", "her", "their", "our", "your" };

    /// <summary>Words after a possessive that are not objects (adjectives, adverbs, determiners).</summary>
    private static readonly HashSet<string> NotObjects = new(StringComparer.OrdinalIgnoreCase)
    {
        "own", "new", "old", "first", "last", "best", "favorite", "favourite", "whole", "little", "big", "very", "own", "life",
        "way", "time", "thing", "things", "day", "days", "dream", "dreams", "heart", "mind", "feelings", "experience", "journey",
        "passion", "goal", "goals", "part", "support", "advice", "help", "words", "side", "turn", "place", "stuff", "self",
        "other", "same", "next", "recent", "latest", "current", "future", "past", "lot", "hands", "best",
    };

    /// <summary>The entities of the text (see the type's remarks), lower-cased, distinct, in order of appearance.</summary>
    public static IReadOnlyList<string> Extract(string? text)
    {
        var found = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return found;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string entity)
        {
            var normal = Normalise(entity);
            if (normal.Length >= 2 && found.Count < MaxEntities && seen.Add(normal))
            {
                found.Add(normal);
            }
        }

        foreach (Match title in Quoted().Matches(text))
        {
            Add(title.Groups["title"].Value);
        }

        var words = Word().Matches(text).ToList();
        var run = new List<string>();
        for (var i = 0; i <= words.Count; i++)
        {
            var word = i < words.Count ? words[i] : null;
            var startOfSentence = word is not null && (word.Index == 0 || SentenceEnd(text, word.Index));
            var capitalised = word is not null && char.IsUpper(word.Value[0]) && word.Value.Any(char.IsLower)
                && !NotNames.Contains(Bare(word.Value));
            var joined = word is not null && run.Count > 0 && capitalised && OnlySpaceBetween(text, words[i - 1], word);
            if (run.Count > 0 && !joined)
            {
                Add(string.Join(' ', run));
                run.Clear();
            }

            if (word is null)
            {
                break;
            }

            // A capitalised first word of a sentence is a name only when the next word continues the name, or when it is
            // not an ordinary opener (the lists above hold the usual ones).
            if (capitalised && (!startOfSentence || run.Count > 0 || !NotNames.Contains(Bare(word.Value))))
            {
                run.Add(Bare(word.Value));
            }
        }

        for (var i = 0; i + 1 < words.Count; i++)
        {
            if (Possessives.Contains(words[i].Value) && OnlySpaceBetween(text, words[i], words[i + 1]))
            {
                var noun = words[i + 1].Value;
                if (!NotObjects.Contains(noun) && !NotNames.Contains(noun) && noun.All(char.IsLetter) && noun.Length >= 3)
                {
                    Add(noun);
                }
            }
        }

        return found;
    }

    /// <summary>The words of a text as the extractor cuts them (letters and digits, a possessive "'s" dropped), in order.</summary>
    public static IEnumerable<string> Words(string text) => Word().Matches(text).Select(m => Bare(m.Value));

    /// <summary>
    /// The text with its words (as <see cref="Words"/> cuts them) passed to <paramref name="replace"/> (the word, and whether a
    /// possessive "'s" was dropped from it): a word is replaced, possessive and all, by what it returns; null keeps it.
    /// </summary>
    public static string ReplaceWords(string text, Func<string, bool, string?> replace)
    {
        ArgumentNullException.ThrowIfNull(replace);
        return Word().Replace(text, m =>
        {
            var bare = Bare(m.Value);
            return replace(bare, bare.Length < m.Value.Length) ?? m.Value;
        });
    }

    private static string Bare(string word) =>
        word.EndsWith("'s", StringComparison.OrdinalIgnoreCase) || word.EndsWith("’s", StringComparison.OrdinalIgnoreCase) ? word[..^2] : word;

    private static string Normalise(string entity)
    {
        var builder = new StringBuilder(entity.Length);
        foreach (var c in entity.Normalize(NormalizationForm.FormKC))
        {
            if (char.IsLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
            else if ((char.IsWhiteSpace(c) || c is '-' or '\'') && builder.Length > 0 && builder[^1] != ' ')
            {
                builder.Append(c == '\'' ? '\'' : ' ');
            }
        }

        var normal = builder.ToString().Trim(' ', '\'');
        return normal.EndsWith("'s", StringComparison.Ordinal) ? normal[..^2] : normal;
    }

    private static bool SentenceEnd(string text, int index)
    {
        for (var j = index - 1; j >= 0; j--)
        {
            var c = text[j];
            if (char.IsWhiteSpace(c) || c is '"' or '“' or '(' or '\'' or '‘' or '[')
            {
                continue;
            }

            return c is '.' or '!' or '?' or ':' or ';' or '\n';
        }

        return true;
    }

    private static bool OnlySpaceBetween(string text, Match a, Match b)
    {
        for (var j = a.Index + a.Length; j < b.Index; j++)
        {
            if (text[j] != ' ')
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’][\p{L}]+)?", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    [GeneratedRegex(@"[""“](?<title>[^""”\n]{2,60})[""”]", RegexOptions.CultureInvariant)]
    private static partial Regex Quoted();
}
