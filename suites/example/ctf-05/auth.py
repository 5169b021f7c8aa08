import sys
ENC = bytes.fromhex('525c595f4f035c5956560a0803095d0805555a0d0002590e504d')
def check(pin):
    return pin * 7 % 10007 == 8602
pin = int(sys.argv[1])
if not check(pin):
    print('wrong pin'); sys.exit(1)
k = str(pin).encode()
print(bytes(b ^ k[i % len(k)] for i, b in enumerate(ENC)).decode())
