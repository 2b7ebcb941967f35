// specgrid's own prompt suite (manifest `prompts: { suite: default }`), written for this project: five
// prompts in each of the task categories speculative decoding is known to behave differently on (Spec-Bench
// groups its results the same way). Drafts and n-gram lookups pay most where the output repeats its input
// (code edits, copy-heavy text) and least on open-ended chat; the report's per-category table shows how
// much. Prompts are plain text without a chat template, short enough for CPU test models, and each is
// distinct (a repeated prompt would plan the same cells twice). Changing a prompt's text changes the ids of
// the cells that use it: add new prompts rather than editing old ones.

/** The task categories of the suite, in report order. */
export const PROMPT_CATEGORIES = [
  "code",
  "chat",
  "summarisation",
  "math-reasoning",
  "translation",
  "repetitive",
] as const;

export type PromptCategory = (typeof PROMPT_CATEGORIES)[number];

export const DEFAULT_SUITE: Readonly<Record<PromptCategory, readonly string[]>> = {
  code: [
    "Write a Python function `merge_intervals(intervals)` that takes a list of [start, end] pairs and returns the list with overlapping intervals merged, sorted by start. Include a docstring and three doctest examples.",
    "Here is a JavaScript function:\nfunction sum(xs) { var t = 0; for (var i = 0; i < xs.length; i++) { t = t + xs[i]; } return t; }\nRewrite it in modern TypeScript with types, `const`/`let` and a `for...of` loop, keeping the same behaviour.",
    "Write a SQL query that returns, for each customer in the table orders(id, customer_id, total, created_at), the number of orders and the total amount spent in 2024, sorted by amount spent, highest first.",
    "Implement a binary search in C: `int find(const int *a, int n, int key)` returns the index of key in the sorted array a of length n, or -1 when it is absent. Explain each branch in a comment.",
    "Write a Bash script that walks the current directory recursively, finds every file ending in .log larger than 10 MB, compresses it with gzip and prints the name and the new size of each compressed file.",
  ],
  chat: [
    "Hi! I'm planning a weekend trip to a city I have never visited. What questions should I ask myself to decide where to go?",
    "My friend keeps cancelling plans at the last minute. How can I tell her it bothers me without starting an argument?",
    "What are some good habits for someone who wants to start running but has never exercised regularly?",
    "Can you recommend a way to keep houseplants alive when I travel for two weeks at a time?",
    "I have a job interview tomorrow for a junior data analyst position. What should I prepare tonight?",
  ],
  summarisation: [
    "Summarise in two sentences: The city council met on Tuesday to discuss the proposed bicycle lanes on Main Street. Shop owners worried that removing parking spaces would reduce the number of customers, while cycling groups pointed to studies showing that cyclists visit local shops more often. After three hours of debate the council voted to build the lanes as a one-year trial and to count visitors to the shops before and after.",
    "Give a one-paragraph summary of this text: Honeybees communicate the location of food through a movement called the waggle dance. A forager returning to the hive walks in a figure-eight pattern; the angle of the straight run relative to vertical shows the direction of the food relative to the sun, and the length of the run shows the distance. Other bees follow the dancer, learn the direction and distance, and fly out to the source.",
    "Summarise the main points of this email as a bullet list: Hello team, the release planned for Friday is moved to next Wednesday because two tests still fail on the payment service. Maria will fix the currency rounding bug by Monday. Tom will update the documentation for the new export feature. Please do not merge anything into the release branch before Tuesday unless it fixes one of these two issues. Thanks, Anna.",
    "Summarise this product review in one sentence: I bought this kettle three months ago. It boils water quickly and the handle stays cool, which I like. However, the lid started to stick after a few weeks and now it is hard to open with one hand. The customer service replied quickly but only offered a discount on my next purchase, not a replacement.",
    "Write a short abstract for this paragraph: We measured the energy use of twelve office buildings over one year. Buildings with automatic blinds used eighteen percent less energy for cooling in summer, but four percent more for lighting in winter. Overall, automatic blinds reduced total energy use by nine percent, with the largest savings in buildings facing south.",
  ],
  "math-reasoning": [
    "A train leaves at 9:15 and travels 240 km at an average speed of 80 km/h. It then waits 20 minutes and travels another 150 km at 100 km/h. At what time does it arrive? Show each step.",
    "Solve for x and explain each step: 3(x - 4) + 2x = 5x - 12 + x - 6.",
    "A shop sells pencils at 3 for 1.20 and notebooks at 2.50 each. Sam buys 12 pencils and 4 notebooks and pays with a 20 note. How much change does he get? Reason step by step.",
    "There are 5 red, 3 blue and 2 green balls in a bag. Two balls are drawn without replacement. What is the probability that both are the same colour? Work it out step by step.",
    "If all bloops are razzies and some razzies are lazzies, can we conclude that some bloops are lazzies? Explain the reasoning carefully.",
  ],
  translation: [
    "Translate into French: The museum opens at ten in the morning and closes at six in the evening, except on Mondays, when it is closed all day.",
    "Translate into German: Please remember to turn off the lights and lock the door when you leave the office.",
    "Translate into Spanish: We would like to book a table for four people on Saturday evening, preferably near the window.",
    "Translate into English: Le chat dort sur le canapé pendant que les enfants jouent dans le jardin.",
    "Translate into Italian: The weather forecast says it will rain tomorrow, so we will visit the castle on Sunday instead.",
  ],
  repetitive: [
    "Copy the following list exactly, one item per line, three times in a row: apple, banana, cherry, date, elderberry, fig, grape, honeydew, kiwi, lemon.",
    'Reformat this JSON with two-space indentation and keys in the same order, changing nothing else: {"id": 17, "name": "Widget", "tags": ["red", "small", "metal"], "price": 4.5, "stock": {"warehouse": 120, "shop": 8}, "active": true}',
    "Rename the variable `tmp` to `total` everywhere in this code and print the whole code again: def f(xs):\n    tmp = 0\n    for x in xs:\n        tmp += x\n    if tmp > 100:\n        tmp = 100\n    return tmp",
    "Write the numbers from 1 to 40, each followed by a comma and a space, then write the same sequence again in the same format.",
    "Repeat this sentence ten times, each on its own line, without changing a word: The quick brown fox jumps over the lazy dog near the quiet river bank.",
  ],
};
