namespace EdgeCluster.Cli;

/// <summary>A terminal line editor for the interactive session: history (up/down), left/right, backspace, Tab completion.</summary>
public sealed class LineEditor(Func<string, IReadOnlyList<string>> complete)
{
    private readonly List<string> _history = new();

    public string? ReadLine(string prompt)
    {
        Console.Write(prompt);
        var line = new System.Text.StringBuilder();
        var cursor = 0;
        var recalled = _history.Count;
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    Console.WriteLine();
                    var text = line.ToString();
                    if (text.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != text)) _history.Add(text);
                    return text;
                case ConsoleKey.D when key.Modifiers.HasFlag(ConsoleModifiers.Control) && line.Length == 0:
                    Console.WriteLine();
                    return null;
                case ConsoleKey.Backspace when cursor > 0:
                    line.Remove(--cursor, 1);
                    break;
                case ConsoleKey.Delete when cursor < line.Length:
                    line.Remove(cursor, 1);
                    break;
                case ConsoleKey.LeftArrow when cursor > 0:
                    cursor--;
                    break;
                case ConsoleKey.RightArrow when cursor < line.Length:
                    cursor++;
                    break;
                case ConsoleKey.Home:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                    cursor = line.Length;
                    break;
                case ConsoleKey.UpArrow when recalled > 0:
                    Replace(line, _history[--recalled]);
                    cursor = line.Length;
                    break;
                case ConsoleKey.DownArrow when recalled < _history.Count:
                    recalled++;
                    Replace(line, recalled == _history.Count ? "" : _history[recalled]);
                    cursor = line.Length;
                    break;
                case ConsoleKey.Tab:
                    cursor = Complete(line, cursor, prompt);
                    break;
                default:
                    if (!char.IsControl(key.KeyChar)) line.Insert(cursor++, key.KeyChar);
                    break;
            }
            Redraw(prompt, line, cursor);
        }
    }

    /// <summary>One candidate completes the word; several are listed under the line, and their common start is filled in.</summary>
    private int Complete(System.Text.StringBuilder line, int cursor, string prompt)
    {
        var before = line.ToString(0, cursor);
        var wordStart = before.LastIndexOf(' ') + 1;
        var word = before[wordStart..];
        var candidates = complete(before).Where(c => c.StartsWith(word, StringComparison.Ordinal)).ToList();
        if (candidates.Count == 0) return cursor;
        var common = candidates.Aggregate((a, b) => new string(a.TakeWhile((ch, i) => i < b.Length && b[i] == ch).ToArray()));
        if (candidates.Count == 1) common += " ";
        line.Remove(wordStart, cursor - wordStart).Insert(wordStart, common);
        if (candidates.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine(string.Join("  ", candidates));
            Console.Write(prompt);
        }
        return wordStart + common.Length;
    }

    private static void Replace(System.Text.StringBuilder line, string text) => line.Clear().Append(text);

    private static void Redraw(string prompt, System.Text.StringBuilder line, int cursor)
    {
        Console.Write("\r" + prompt + line + "\u001b[K");
        Console.Write("\r\u001b[" + (prompt.Length + cursor) + "C");
    }
}
