namespace Maximus.Memory.Vectors.Lexical;

/// <summary>
/// The Porter stemming algorithm (M. F. Porter, 1980), as in the reference C implementation and SQLite's FTS5
/// <c>porter</c> tokenizer (including its "bli"→"ble" and "logi"→"log" departures from the paper). Words of fewer than
/// three or more than 64 characters are returned as they are; input is expected in lower case.
/// </summary>
public static class PorterStemmer
{
    private const int MaxLength = 64;

    public static string Stem(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        if (word.Length < 3 || word.Length > MaxLength)
        {
            return word;
        }

        var w = new Word(word.ToCharArray());
        w.Step1Ab();
        if (w.K > 0)
        {
            w.Step1C();
            w.Step2();
            w.Step3();
            w.Step4();
            w.Step5();
        }

        return new string(w.B, 0, w.K + 1);
    }

    private ref struct Word(char[] b)
    {
        public readonly char[] B = b;
        public int K = b.Length - 1;
        private int _j;

        private readonly bool Cons(int i) => B[i] switch
        {
            'a' or 'e' or 'i' or 'o' or 'u' => false,
            'y' => i == 0 || !Cons(i - 1),
            _ => true,
        };

        /// <summary>The number of vowel-consonant sequences in B[0.._j].</summary>
        private readonly int M()
        {
            var n = 0;
            var i = 0;
            while (true)
            {
                if (i > _j)
                {
                    return n;
                }

                if (!Cons(i))
                {
                    break;
                }

                i++;
            }

            i++;
            while (true)
            {
                while (true)
                {
                    if (i > _j)
                    {
                        return n;
                    }

                    if (Cons(i))
                    {
                        break;
                    }

                    i++;
                }

                i++;
                n++;
                while (true)
                {
                    if (i > _j)
                    {
                        return n;
                    }

                    if (!Cons(i))
                    {
                        break;
                    }

                    i++;
                }

                i++;
            }
        }

        private readonly bool VowelInStem()
        {
            for (var i = 0; i <= _j; i++)
            {
                if (!Cons(i))
                {
                    return true;
                }
            }

            return false;
        }

        private readonly bool DoubleC(int j) => j >= 1 && B[j] == B[j - 1] && Cons(j);

        private readonly bool Cvc(int i) =>
            i >= 2 && Cons(i) && !Cons(i - 1) && Cons(i - 2) && B[i] is not ('w' or 'x' or 'y');

        private bool Ends(string s)
        {
            var length = s.Length;
            if (length > K + 1 || s[length - 1] != B[K])
            {
                return false;
            }

            if (!B.AsSpan(K - length + 1, length).SequenceEqual(s))
            {
                return false;
            }

            _j = K - length;
            return true;
        }

        private void SetTo(string s)
        {
            s.CopyTo(0, B, _j + 1, s.Length);
            K = _j + s.Length;
        }

        private void R(string s)
        {
            if (M() > 0)
            {
                SetTo(s);
            }
        }

        public void Step1Ab()
        {
            if (B[K] == 's')
            {
                if (Ends("sses"))
                {
                    K -= 2;
                }
                else if (Ends("ies"))
                {
                    SetTo("i");
                }
                else if (K >= 1 && B[K - 1] != 's')
                {
                    K--;
                }
            }

            if (Ends("eed"))
            {
                if (M() > 0)
                {
                    K--;
                }
            }
            else if ((Ends("ed") || Ends("ing")) && VowelInStem())
            {
                K = _j;
                if (Ends("at"))
                {
                    SetTo("ate");
                }
                else if (Ends("bl"))
                {
                    SetTo("ble");
                }
                else if (Ends("iz"))
                {
                    SetTo("ize");
                }
                else if (DoubleC(K))
                {
                    K--;
                    if (B[K] is 'l' or 's' or 'z')
                    {
                        K++;
                    }
                }
                else
                {
                    _j = K;
                    if (M() == 1 && Cvc(K))
                    {
                        SetTo("e");
                    }
                }
            }
        }

        public void Step1C()
        {
            if (Ends("y") && VowelInStem())
            {
                B[K] = 'i';
            }
        }

        public void Step2()
        {
            if (K < 1)
            {
                return;
            }

            foreach (var (suffix, replacement) in B[K - 1] switch
            {
                'a' => Step2A,
                'c' => Step2C,
                'e' => Step2E,
                'l' => Step2L,
                'o' => Step2O,
                's' => Step2S,
                't' => Step2T,
                'g' => Step2G,
                _ => [],
            })
            {
                if (Ends(suffix))
                {
                    R(replacement);
                    return;
                }
            }
        }

        public void Step3()
        {
            foreach (var (suffix, replacement) in B[K] switch
            {
                'e' => Step3E,
                'i' => Step3I,
                'l' => Step3L,
                's' => Step3S,
                _ => [],
            })
            {
                if (Ends(suffix))
                {
                    R(replacement);
                    return;
                }
            }
        }

        public void Step4()
        {
            if (K < 1)
            {
                return;
            }

            switch (B[K - 1])
            {
                case 'o':
                    if (Ends("ion") && _j >= 0 && B[_j] is 's' or 't')
                    {
                        break;
                    }

                    if (Ends("ou"))
                    {
                        break;
                    }

                    return;
                default:
                    var matched = false;
                    foreach (var suffix in B[K - 1] switch
                    {
                        'a' => ["al"],
                        'c' => ["ance", "ence"],
                        'e' => ["er"],
                        'i' => ["ic"],
                        'l' => ["able", "ible"],
                        'n' => ["ant", "ement", "ment", "ent"],
                        's' => ["ism"],
                        't' => ["ate", "iti"],
                        'u' => ["ous"],
                        'v' => ["ive"],
                        'z' => ["ize"],
                        _ => Array.Empty<string>(),
                    })
                    {
                        if (Ends(suffix))
                        {
                            matched = true;
                            break;
                        }
                    }

                    if (!matched)
                    {
                        return;
                    }

                    break;
            }

            if (M() > 1)
            {
                K = _j;
            }
        }

        public void Step5()
        {
            _j = K;
            if (B[K] == 'e')
            {
                var a = M();
                if (a > 1 || (a == 1 && !Cvc(K - 1)))
                {
                    K--;
                }
            }

            // As in the reference: the measure of the double-l test is taken on the word before the 'e' was removed.
            if (B[K] == 'l' && DoubleC(K) && M() > 1)
            {
                K--;
            }
        }

        private static readonly (string, string)[] Step2A = [("ational", "ate"), ("tional", "tion")];
        private static readonly (string, string)[] Step2C = [("enci", "ence"), ("anci", "ance")];
        private static readonly (string, string)[] Step2E = [("izer", "ize")];
        private static readonly (string, string)[] Step2L = [("bli", "ble"), ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous")];
        private static readonly (string, string)[] Step2O = [("ization", "ize"), ("ation", "ate"), ("ator", "ate")];
        private static readonly (string, string)[] Step2S = [("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous")];
        private static readonly (string, string)[] Step2T = [("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")];
        private static readonly (string, string)[] Step2G = [("logi", "log")];
        private static readonly (string, string)[] Step3E = [("icate", "ic"), ("ative", ""), ("alize", "al")];
        private static readonly (string, string)[] Step3I = [("iciti", "ic")];
        private static readonly (string, string)[] Step3L = [("ical", "ic"), ("ful", "")];
        private static readonly (string, string)[] Step3S = [("ness", "")];
    }
}
