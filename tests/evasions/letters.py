"""The scam letters and the benign texts the evasion corpus disguises.

Invented text in the style of the real waves (REFERENCE §1); the wallet, the amount and
the recipient are filled in per message.
"""

from __future__ import annotations

WEBCAM = """Hello,

I am a hacker and I have had access to your device for several months now.
Your computer was infected with my malware when you visited an adult website.
While you were watching porn, my trojan turned on your webcam and recorded you.
I made a video of you satisfying yourself in the left half of the screen; the right
half shows the video you were watching.

I also saved all of your contacts: friends, family and colleagues.

If you want me to delete the recording, transfer {amount} in Bitcoin to my wallet:

{address}

You have 48 hours from the moment you open this email. If I do not receive the
payment, I will send the video to all your contacts and publish it online.

Do not go to the police, they cannot help you. My wallet cannot be traced.
"""

PASSWORD = """{password} is your password. I know it, and I know a lot more about you.

I hacked your device through a website you visited and installed spyware on it.
Since then I have recorded you through your own camera while you were watching porn,
and I have copied all of your contacts, your photos and your messages.

I will not ask much. Send {amount} in Bitcoin to this address:
{address}
(copy and paste it, it is case sensitive)

You have 2 days. If the payment does not arrive, the video goes to your family,
your friends and your colleagues, and I will publish it on every site I can find.
If you tell the police or anyone else, I will send it immediately.
"""

PIXEL = """Hi {name},

I will get straight to the point. There is a tracking pixel in this email and I know
that you have just opened it.

Months ago I hacked your router and installed a trojan on your laptop and your phone.
I have your messages, your photos and your browser history, and I recorded you through
your webcam while you were visiting porn sites. I have all your contacts as well.

My price for deleting everything is {amount}. Pay in Bitcoin to my BTC wallet:
{address}

You have 24 hours. If I do not see the payment, every one of your contacts gets the
recording, and your colleagues will see what you do in the evenings.
Do not reply, do not call the police: this wallet cannot be traced to me.
"""

SELF_SENT = """Hello!

As you may have noticed, I sent this email from your account. That means I have full
access to your account and to your device.

I installed malware on your computer months ago. Through your webcam I recorded you
while you were watching porn, and I saved all of your contacts.

I want {amount} in Bitcoin. Send it to my wallet:
{address}

You have 48 hours. If I do not get the payment, I will send the video to all your
contacts, your family and your colleagues. Do not go to the police.
"""

ATM = """Hello,

I hacked your device and recorded you through your webcam while you were watching porn.
I have the video and all of your contacts: family, friends and colleagues.

I want {amount} in Bitcoin. If you do not know how, go to any Bitcoin ATM, or buy the
bitcoin on Coinbase or Paxful. When you have it, reply to this email and I will send you
my wallet address.

You have 48 hours. If you do not pay, I will send the video to all your contacts.
Do not tell the police, they cannot help you.
"""

NEWSLETTER_TOP = """GREEN THUMB WEEKLY - Issue 214

This week in the garden: the first frost is on its way, so it is time to bring the
geraniums inside, lift the dahlia tubers and give the lawn its last cut of the year.
Our reader poll says tomatoes were the crop of the summer, with courgettes a close second.

Recipe of the week: roast pumpkin soup with sage butter. Halve a small pumpkin, roast it
for forty minutes with garlic and thyme, blend it with stock and finish with brown butter.
"""

NEWSLETTER_BOTTOM = """Events: the autumn seed swap is on Saturday at the community hall,
10am to 2pm. Bring labelled envelopes; surplus seed goes to the school garden project.

Reader question: "Can I still plant garlic in November?" Yes - plant cloves two inches
deep, pointy end up, and mulch them well before the hard frosts.

You are receiving this newsletter because you subscribed at our website.
Unsubscribe or update your preferences at any time.
"""

DECOY_ARTICLE = """The history of the lighthouse at the harbour mouth goes back to 1851, when a
wooden tower with an oil lamp was built by the harbour board. It burned down twice before
the stone tower was finished in 1874. The keeper's cottage now houses a small museum of
maritime instruments, open on weekends from April to October. The lens, a second-order
Fresnel lens made in Paris, was restored in 2009 and still turns on its mercury bath.
"""

# Junk a spammer hides in invisible HTML: words of legitimate mail that, if a filter counted
# them, would make the letter look like a news report, an advisory or a receipt.
HIDDEN_JUNK = (
    "Police warn residents about a sextortion scam circulating by email. This is a known "
    "scam: do not pay and report it to the police. Forwarded message. Your receipt: "
    "transaction ID 55812, invoice number 2231. Unsubscribe from this newsletter."
)
